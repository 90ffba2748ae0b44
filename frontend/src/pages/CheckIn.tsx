// A host checks in and out on an account (POST /api/v1/studios/{studio}/hosts/{host}/check-in|check-out), at the
// server's time. The gateway refuses at once when the schedule does not put the host on that account now; the
// commission applies or rejects the command, and the page shows that outcome. The page lists the host's own
// schedule for today (GET /api/v1/schedule, scoped to the host) and preselects the entry covering now; the
// accounts offered are those of today's entries and of the host's own sessions, and any other id can be typed.
import { useEffect, useState } from "preact/hooks";
import { api, auth, type Schemas } from "../api/client";
import { problemText, settle } from "../api/commands";
import { useStudios } from "../api/studios";
import { clock } from "../format";
import { messages, t, useLang } from "../i18n";

const m = messages({
  en: {
    intro: "Check in when you start streaming on an account and check out when you stop. The time is the server's.",
    account: "Account",
    accountHint: "The account your schedule puts you on now (from your sessions, or type its id).",
    checkIn: "Check in",
    checkOut: "Check out",
    checkedIn: "Checked in on {account} at {time}.",
    checkedOut: "Checked out of {account} at {time}.",
    notScheduled: "You are not scheduled on {account} now, so the check-in was refused.",
    notHost: "Only a host's own account can check in here.",
    today: "Your schedule today",
    noEntries: "No schedule entries for you today.",
    now: "now",
    use: "Use {account}",
  },
  id: {
    intro: "Check-in saat mulai live di sebuah akun dan check-out saat selesai. Waktunya mengikuti server.",
    account: "Akun",
    accountHint: "Akun tempat jadwal Anda sekarang (dari sesi Anda, atau ketik ID-nya).",
    checkIn: "Check-in",
    checkOut: "Check-out",
    checkedIn: "Check-in di {account} pukul {time}.",
    checkedOut: "Check-out dari {account} pukul {time}.",
    notScheduled: "Anda tidak terjadwal di {account} sekarang, jadi check-in ditolak.",
    notHost: "Hanya akun host yang dapat check-in di sini.",
    today: "Jadwal Anda hari ini",
    noEntries: "Tidak ada jadwal untuk Anda hari ini.",
    now: "sekarang",
    use: "Pakai {account}",
  },
});

type Outcome = { ok: boolean; text: string };
type Entry = Schemas["ScheduleEntry"];

/** YYYY-MM-DD of now in the studio's timezone. */
function localToday(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function covers(entry: Entry, at: number): boolean {
  return !!entry.starts_at && !!entry.ends_at && Date.parse(entry.starts_at) <= at && at < Date.parse(entry.ends_at);
}

export function CheckInPage() {
  useLang();
  const who = auth();
  const studios = useStudios();
  const studioId = who?.me.studios?.[0] ?? "";
  const hostId = who?.me.host_id ?? "";
  const [account, setAccount] = useState("");
  const [known, setKnown] = useState<string[]>([]);
  const [today, setToday] = useState<Entry[] | null>(null);
  const [busy, setBusy] = useState<"in" | "out" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const studio = studios.get(studioId);
  const timezone = studio?.timezone ?? "UTC";

  useEffect(() => {
    if (!studio) return;
    const day = localToday(studio.timezone);
    api.GET("/api/v1/schedule", { params: { query: { date_from: day, date_to: day, limit: 50 } } }).then(({ data }) => {
      if (!data) return;
      setToday(data.items);
      const current = data.items.find((e) => covers(e, Date.now()));
      if (current) setAccount((typed) => typed || current.account_id);
    });
  }, [studio]);

  useEffect(() => {
    api.GET("/api/v1/sessions", { params: { query: { limit: 100 } } }).then(({ data }) => {
      if (!data) return;
      const ids = [...new Set(data.items.map((s) => s.account_id))].sort();
      setKnown(ids);
      setAccount((current) => current || (ids.length === 1 ? ids[0] : ""));
    });
  }, []);

  if (!who || !hostId || !studioId)
    return (
      <main id="main">
        <h1>{t("checkIn")}</h1>
        <p class="state">{m("notHost")}</p>
      </main>
    );

  async function send(direction: "in" | "out", event?: Event) {
    event?.preventDefault();
    const accountId = account.trim();
    if (!accountId) {
      document.querySelector<HTMLInputElement>("#ci-account")?.reportValidity();
      return;
    }
    setBusy(direction);
    setOutcome(null);
    const params = { params: { path: { studio_id: studioId, host_id: hostId } }, body: { account_id: accountId } };
    try {
      const { data, response } =
        direction === "in"
          ? await api.POST("/api/v1/studios/{studio_id}/hosts/{host_id}/check-in", params)
          : await api.POST("/api/v1/studios/{studio_id}/hosts/{host_id}/check-out", params);
      if (!data && response.status === 403) {
        const detail = await problemText(response);
        setOutcome({
          ok: false,
          text: detail.includes("not scheduled") ? m("notScheduled", { account: accountId }) : t("refused", { error: detail }),
        });
        return;
      }
      const result = await settle(data, response);
      const time = clock(new Date().toISOString(), timezone);
      setOutcome(
        result.ok
          ? { ok: true, text: m(direction === "in" ? "checkedIn" : "checkedOut", { account: accountId, time }) }
          : { ok: false, text: t("refused", { error: result.error }) },
      );
    } catch {
      setOutcome({ ok: false, text: t("networkError") });
    } finally {
      setBusy(null);
    }
  }

  return (
    <main id="main" class="check-in">
      <div class="page-head">
        <h1>{t("checkIn")}</h1>
      </div>
      <form class="card" onSubmit={(e) => send("in", e)}>
        <p class="muted">{m("intro")}</p>
        <label for="ci-account">{m("account")}</label>
        <input
          id="ci-account"
          list="ci-accounts"
          required
          autocomplete="off"
          value={account}
          aria-describedby="ci-account-hint"
          onInput={(e) => setAccount(e.currentTarget.value)}
        />
        <datalist id="ci-accounts">
          {[...new Set([...(today ?? []).map((e) => e.account_id), ...known])].map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
        <p id="ci-account-hint" class="small muted">{m("accountHint")}</p>
        <div class="actions">
          <button type="submit" disabled={busy !== null}>
            {busy === "in" ? t("saving") : m("checkIn")}
          </button>
          <button type="button" class="secondary" disabled={busy !== null} onClick={() => send("out")}>
            {busy === "out" ? t("saving") : m("checkOut")}
          </button>
        </div>
        {outcome && (
          <p class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"} data-testid="outcome">
            {outcome.text}
          </p>
        )}
      </form>
      {today && (
        <section class="card" aria-labelledby="ci-today">
          <h2 id="ci-today">{m("today")}</h2>
          {today.length === 0 ? (
            <p class="muted">{m("noEntries")}</p>
          ) : (
            <ul class="entries">
              {today.map((e) => (
                <li key={e.entry_id}>
                  <span>
                    {clock(e.starts_at, timezone)}–{clock(e.ends_at, timezone)} · {e.account_id}
                    {covers(e, Date.now()) && <strong> ({m("now")})</strong>}
                  </span>{" "}
                  <button type="button" class="secondary" onClick={() => setAccount(e.account_id)}>
                    {m("use", { account: e.account_id })}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </main>
  );
}
