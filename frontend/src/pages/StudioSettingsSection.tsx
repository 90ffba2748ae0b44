// Studio settings on the Hosts page (issue #20), for owners and managers (the roles the gateway lets write a
// studio): timezone, holidays, the attendance grace minutes and the attribution policy, sent whole through
// PUT /api/v1/studios/{studio_id} (a command, followed until applied or refused; a refusal shows the API's
// problem+json detail). A policy change applies to windows starting from now on, so it asks for confirmation.
// The form keeps what was typed until it is saved (an expired sign-in loses nothing).
import { useState } from "preact/hooks";
import { api, auth } from "../api/client";
import { settle } from "../api/commands";
import type { Studio } from "../api/studios";
import { messages, uiLocale } from "../i18n";

type Policy = Studio["attribution_policy"];
const POLICIES: Policy[] = ["schedule", "check_in_required"];
/** The roles that may write a studio's settings (the gateway's `require_writer`). */
const WRITERS = ["owner", "manager"];

const m = messages({
  en: {
    title: "Studio settings",
    intro: "Apply to the whole studio: days and shifts in its timezone, holiday pay rules, attendance and who a live window is attributed to.",
    timezone: "Timezone (IANA name, e.g. Asia/Jakarta)",
    holidays: "Holidays",
    holidaysHelp: "Local days that holiday pay rules apply to.",
    noHolidays: "No holidays.",
    addHoliday: "Add holiday",
    newHoliday: "Holiday to add",
    removeHoliday: "Remove holiday {day}",
    grace: "Attendance grace (minutes, 0–240)",
    graceHelp: "Minutes late or early that still count as on time.",
    policy: "Attribution policy",
    policyNote: "A change applies to live windows starting from now on; earlier windows keep the policy they had.",
    schedule: "Schedule",
    scheduleHelp: "A scheduled host is credited with their window's sales without checking in.",
    check_in_required: "Check-in required",
    checkInHelp: "A window whose host did not check in goes to the unassigned bucket.",
    save: "Save settings",
    saving: "Saving…",
    saved: "Settings saved.",
    refused: "Not saved: {reason}",
    confirmPolicy: "Change the attribution policy to “{policy}” from now on? Windows already started keep the old one.",
    yesChange: "Yes, change it",
    cancel: "Cancel",
    badGrace: "Give whole minutes from 0 to 240.",
    badTimezone: "Give a timezone name.",
  },
  id: {
    title: "Pengaturan studio",
    intro: "Berlaku untuk seluruh studio: hari dan shift dalam zona waktunya, aturan gaji hari libur, kehadiran dan atribusi jendela siaran.",
    timezone: "Zona waktu (nama IANA, mis. Asia/Jakarta)",
    holidays: "Hari libur",
    holidaysHelp: "Hari lokal yang dikenai aturan gaji hari libur.",
    noHolidays: "Tidak ada hari libur.",
    addHoliday: "Tambah hari libur",
    newHoliday: "Hari libur yang ditambahkan",
    removeHoliday: "Hapus hari libur {day}",
    grace: "Toleransi kehadiran (menit, 0–240)",
    graceHelp: "Menit terlambat atau lebih awal yang masih dihitung tepat waktu.",
    policy: "Kebijakan atribusi",
    policyNote: "Perubahan berlaku untuk jendela siaran yang dimulai mulai sekarang; jendela sebelumnya tetap memakai kebijakan lamanya.",
    schedule: "Jadwal",
    scheduleHelp: "Host yang terjadwal mendapat penjualan jendelanya tanpa check-in.",
    check_in_required: "Wajib check-in",
    checkInHelp: "Jendela yang host-nya tidak check-in masuk ke kelompok tanpa host.",
    save: "Simpan pengaturan",
    saving: "Menyimpan…",
    saved: "Pengaturan tersimpan.",
    refused: "Tidak tersimpan: {reason}",
    confirmPolicy: "Ubah kebijakan atribusi menjadi “{policy}” mulai sekarang? Jendela yang sudah dimulai tetap memakai yang lama.",
    yesChange: "Ya, ubah",
    cancel: "Batal",
    badGrace: "Isi menit bulat dari 0 sampai 240.",
    badTimezone: "Isi nama zona waktu.",
  },
});

function dayLabel(day: string): string {
  return new Intl.DateTimeFormat(uiLocale(), { timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

interface Draft {
  timezone: string;
  holidays: string[];
  grace: string;
  policy: Policy;
}

const draftOf = (studio: Studio): Draft => ({
  timezone: studio.timezone,
  holidays: [...studio.holidays].sort(),
  grace: String(studio.attendance_grace_minutes),
  policy: studio.attribution_policy,
});

type Status = { kind: "idle" | "saving" | "saved" | "confirm" } | { kind: "error"; text: string };

/** The settings form, or nothing for a caller who may not write the studio (hosts, services). */
export function StudioSettingsCard(props: { studio: Studio; onSaved: (studio: Studio) => void }) {
  const role = auth()?.me.role;
  if (!role || !WRITERS.includes(role)) return null;
  return <SettingsForm {...props} />;
}

function SettingsForm(props: { studio: Studio; onSaved: (studio: Studio) => void }) {
  const { studio } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(studio));
  const [newDay, setNewDay] = useState("");
  const [status, setStatus] = useState<Status>({ kind: "idle" });

  const addHoliday = () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(newDay)) return;
    if (!draft.holidays.includes(newDay)) setDraft({ ...draft, holidays: [...draft.holidays, newDay].sort() });
    setNewDay("");
  };
  const send = async () => {
    setStatus({ kind: "saving" });
    const { data, response } = await api.PUT("/api/v1/studios/{studio_id}", {
      params: { path: { studio_id: studio.studio_id } },
      body: {
        name: studio.name,
        timezone: draft.timezone.trim(),
        currency: studio.currency,
        pay_period: studio.pay_period as "monthly" | "weekly",
        holidays: draft.holidays,
        attendance_grace_minutes: Number(draft.grace),
        attribution_policy: draft.policy,
      },
    });
    const outcome = await settle(data, response);
    if (!outcome.ok) return setStatus({ kind: "error", text: m("refused", { reason: outcome.error }) });
    const { data: fresh } = await api.GET("/api/v1/studios/{studio_id}", { params: { path: { studio_id: studio.studio_id } } });
    setStatus({ kind: "saved" });
    if (fresh) {
      setDraft(draftOf(fresh));
      props.onSaved(fresh);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    if (!draft.timezone.trim()) return setStatus({ kind: "error", text: m("badTimezone") });
    const grace = Number(draft.grace);
    if (draft.grace.trim() === "" || !Number.isInteger(grace) || grace < 0 || grace > 240) return setStatus({ kind: "error", text: m("badGrace") });
    if (draft.policy !== studio.attribution_policy) return setStatus({ kind: "confirm" });
    void send();
  };
  const busy = status.kind === "saving";
  return (
    <section class="card studio-settings" aria-labelledby="studio-settings-h" data-testid="studio-settings">
      <h2 id="studio-settings-h">{m("title")}</h2>
      <p class="muted small intro">{m("intro")}</p>
      <form class="form" onSubmit={submit}>
        <label for="settings-tz">{m("timezone")}</label>
        <input
          id="settings-tz"
          type="text"
          autoComplete="off"
          spellcheck={false}
          maxLength={64}
          required
          value={draft.timezone}
          onInput={(e) => setDraft({ ...draft, timezone: e.currentTarget.value })}
        />
        <fieldset class="choices">
          <legend>{m("holidays")}</legend>
          <p class="muted small">{m("holidaysHelp")}</p>
          {draft.holidays.length === 0 ? (
            <p class="small">{m("noHolidays")}</p>
          ) : (
            <ul class="holidays">
              {draft.holidays.map((day) => (
                <li key={day} data-day={day}>
                  <span>{dayLabel(day)}</span>
                  <button
                    type="button"
                    class="secondary"
                    aria-label={m("removeHoliday", { day: dayLabel(day) })}
                    onClick={() => setDraft({ ...draft, holidays: draft.holidays.filter((d) => d !== day) })}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div class="holiday-add">
            <span>
              <label for="settings-holiday">{m("newHoliday")}</label>
              <input id="settings-holiday" type="date" value={newDay} onInput={(e) => setNewDay(e.currentTarget.value)} />
            </span>
            <button type="button" class="secondary" onClick={addHoliday} disabled={!newDay}>
              {m("addHoliday")}
            </button>
          </div>
        </fieldset>
        <label for="settings-grace">{m("grace")}</label>
        <input
          id="settings-grace"
          type="number"
          min={0}
          max={240}
          step={1}
          inputMode="numeric"
          required
          aria-describedby="settings-grace-help"
          value={draft.grace}
          onInput={(e) => setDraft({ ...draft, grace: e.currentTarget.value })}
        />
        <p class="muted small" id="settings-grace-help">
          {m("graceHelp")}
        </p>
        <fieldset class="choices" aria-describedby="settings-policy-note">
          <legend>{m("policy")}</legend>
          {POLICIES.map((p) => (
            <label key={p} class="check policy">
              <input type="radio" name="settings-policy" value={p} checked={draft.policy === p} onChange={() => setDraft({ ...draft, policy: p })} />
              <span>
                <strong>{m(p)}</strong>
                <span class="muted small"> — {m(p === "schedule" ? "scheduleHelp" : "checkInHelp")}</span>
              </span>
            </label>
          ))}
          <p class="small" id="settings-policy-note">
            {m("policyNote")}
          </p>
        </fieldset>
        <div class="actions">
          <button type="submit" disabled={busy || status.kind === "confirm"}>
            {m("save")}
          </button>
        </div>
        {status.kind === "confirm" && (
          <div class="confirm" role="alertdialog" aria-labelledby="settings-confirm">
            <p id="settings-confirm">{m("confirmPolicy", { policy: m(draft.policy) })}</p>
            <button type="button" onClick={() => void send()}>
              {m("yesChange")}
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setStatus({ kind: "idle" })}>
              {m("cancel")}
            </button>
          </div>
        )}
        {status.kind === "saving" && <p role="status">{m("saving")}</p>}
        {status.kind === "saved" && (
          <p role="status" class="ok-text">
            {m("saved")}
          </p>
        )}
        {status.kind === "error" && (
          <p role="alert" class="error-text" data-testid="settings-refusal">
            {status.text}
          </p>
        )}
      </form>
    </section>
  );
}
