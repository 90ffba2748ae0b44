// Monthly GMV targets on the analytics page (issue #20): each target of the studio, its accounts and hosts for a
// month of the studio's calendar, with a progress bar (a tick marks what is expected by now), pace and the
// month-end projection; a form to set one and a confirmed remove. Reads GET /api/v1/targets; writes
// POST /api/v1/studios/{id}/targets and DELETE …/targets/{month}/{scope}/{scope_id} (commands, followed to the end).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import type { Studio } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { money } from "../format";
import { messages, t, uiLocale } from "../i18n";
import { parseAmount, todayIn } from "./Analytics";

type Target = Schemas["Target"];
type Scope = Target["scope"];
type Option = { id: string; name: string };

const m = messages({
  en: {
    title: "Monthly targets",
    help: "Confirmed GMV of the month so far against each target. Expected by now grows evenly over the month's days in the studio's timezone; pace is the GMV so far divided by what is expected by now.",
    month: "Month",
    studioTarget: "Whole studio",
    studio: "Studio",
    account: "Account",
    host: "Host",
    target: "Target",
    progress: "So far",
    expected: "Expected by now",
    pace: "Pace",
    projection: "Month end at this rate",
    onTrack: "on track",
    slightlyBehind: "slightly behind",
    behind: "behind",
    noFigures: "No confirmed sales figures this month yet",
    noFiguresShort: "no figures yet",
    none: "No targets for this month yet.",
    remove: "Remove",
    confirmRemove: "Remove the {month} target of {name}?",
    removed: "Target removed.",
    set: "Set a target",
    scope: "Target of",
    who: "Which",
    amount: "Confirmed GMV ({currency})",
    save: "Save target",
    saved: "Target saved.",
    badAmount: "Type an amount greater than 0, e.g. 150000000.",
    pick: "Choose one",
    percentOf: "{percent}% of target",
    elapsed: "{days} of {total} days",
  },
  id: {
    title: "Target bulanan",
    help: "GMV terkonfirmasi bulan ini sejauh ini dibanding setiap target. Yang diharapkan sampai sekarang naik merata menurut hari dalam bulan (zona waktu studio); laju adalah GMV sejauh ini dibagi yang diharapkan.",
    month: "Bulan",
    studioTarget: "Seluruh studio",
    studio: "Studio",
    account: "Akun",
    host: "Host",
    target: "Target",
    progress: "Sejauh ini",
    expected: "Diharapkan sampai sekarang",
    pace: "Laju",
    projection: "Akhir bulan dengan laju ini",
    onTrack: "sesuai target",
    slightlyBehind: "sedikit tertinggal",
    behind: "tertinggal",
    noFigures: "Belum ada angka penjualan terkonfirmasi bulan ini",
    noFiguresShort: "belum ada angka",
    none: "Belum ada target untuk bulan ini.",
    remove: "Hapus",
    confirmRemove: "Hapus target {month} untuk {name}?",
    removed: "Target dihapus.",
    set: "Tetapkan target",
    scope: "Target untuk",
    who: "Yang mana",
    amount: "GMV terkonfirmasi ({currency})",
    save: "Simpan target",
    saved: "Target disimpan.",
    badAmount: "Ketik jumlah lebih dari 0, mis. 150000000.",
    pick: "Pilih salah satu",
    percentOf: "{percent}% dari target",
    elapsed: "{days} dari {total} hari",
  },
});

const SCOPE_LABEL = { studio: "studio", account: "account", host: "host" } as const;
const SCOPE_CHOICE = { studio: "studioTarget", account: "account", host: "host" } as const;

function decimal(value: string | null, digits: number, fixed = false): string {
  if (value === null) return "—";
  const options = { maximumFractionDigits: digits, minimumFractionDigits: fixed ? digits : 0 };
  return new Intl.NumberFormat(uiLocale(), options).format(value as unknown as number);
}

function paceTone(pace: string | null): { cls: string; label: string } | null {
  if (pace === null) return null;
  const p = Number(pace);
  if (p >= 1) return { cls: "ok", label: m("onTrack") };
  if (p >= 0.8) return { cls: "warn", label: m("slightlyBehind") };
  return { cls: "bad", label: m("behind") };
}

function nameOf(target: Target): string {
  return target.name ?? target.scope_id;
}

function Bar(props: { target: Target }) {
  const tg = props.target;
  const percent = tg.percent === null ? null : Number(tg.percent);
  const expectedPct = Math.min(100, (Number(tg.elapsed_days) / tg.days_in_month) * 100);
  const label =
    percent === null ? m("noFigures") : `${m("percentOf", { percent: decimal(tg.percent, 2) })}; ${m("expected")}: ${money(tg.expected, tg.currency)}`;
  return (
    <div
      class={percent === null ? "target-bar unknown" : "target-bar"}
      role="progressbar"
      aria-label={`${nameOf(tg)}: ${label}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent === null ? undefined : Math.min(100, percent)}
      aria-valuetext={label}
    >
      <span class="fill" style={{ width: `${percent === null ? 0 : Math.min(100, percent)}%` }} />
      <span class="expected-tick" style={{ left: `${expectedPct}%` }} aria-hidden="true" />
    </div>
  );
}

function TargetRow(props: { target: Target; onRemoved: (text: string) => void; onError: (text: string) => void }) {
  const tg = props.target;
  const [busy, setBusy] = useState(false);
  const tone = paceTone(tg.pace);
  const remove = async () => {
    if (!confirm(m("confirmRemove", { month: tg.month, name: nameOf(tg) }))) return;
    setBusy(true);
    try {
      const { data, response } = await api.DELETE("/api/v1/studios/{studio_id}/targets/{month}/{target_scope}/{scope_id}", {
        params: { path: { studio_id: tg.studio_id, month: tg.month, target_scope: tg.scope, scope_id: tg.scope_id } },
      });
      const outcome = await settle(data, response);
      if (outcome.ok) props.onRemoved(m("removed"));
      else props.onError(t("refused", { error: outcome.error }));
    } catch {
      props.onError(t("networkError"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="target" data-testid={`target-${tg.scope}-${tg.scope_id}`}>
      <div class="target-head">
        <h3>
          <span class="muted small">{m(SCOPE_LABEL[tg.scope])}</span> {nameOf(tg)}
        </h3>
        {tone ? <span class={`pill ${tone.cls}`}>{tone.label}</span> : <span class="pill">{m("noFiguresShort")}</span>}
      </div>
      <Bar target={tg} />
      <dl class="target-figures">
        <div>
          <dt>{m("progress")}</dt>
          <dd title={tg.progress === null ? m("noFigures") : undefined}>
            {money(tg.progress, tg.currency)}
            {tg.progress === null && <span class="sr-only"> ({m("noFigures")})</span>}
            {tg.percent !== null && <span class="muted"> · {decimal(tg.percent, 1)}%</span>}
          </dd>
        </div>
        <div>
          <dt>{m("target")}</dt>
          <dd>{money(tg.amount, tg.currency)}</dd>
        </div>
        <div>
          <dt>{m("expected")}</dt>
          <dd>
            {money(tg.expected, tg.currency)}{" "}
            <span class="muted">({m("elapsed", { days: decimal(tg.elapsed_days, 1), total: tg.days_in_month })})</span>
          </dd>
        </div>
        <div>
          <dt>{m("pace")}</dt>
          <dd data-testid="pace">{tg.pace === null ? "—" : `${decimal(tg.pace, 2, true)}×`}</dd>
        </div>
        <div>
          <dt>{m("projection")}</dt>
          <dd>{money(tg.projection, tg.currency)}</dd>
        </div>
      </dl>
      <button type="button" class="secondary" disabled={busy} onClick={remove}>
        {busy ? t("saving") : m("remove")}
      </button>
    </li>
  );
}

function TargetForm(props: { studio: Studio; month: string; onSaved: (text: string) => void }) {
  const { studio } = props;
  const [scope, setScope] = useState<Scope>("studio");
  const [who, setWho] = useState("");
  const [amount, setAmount] = useState("");
  const [options, setOptions] = useState<{ account: Option[]; host: Option[] } | null>(null);
  const [status, setStatus] = useState<{ kind: "idle" | "saving" | "error"; text?: string }>({ kind: "idle" });
  useEffect(() => {
    const query = { studio_id: studio.studio_id };
    Promise.all([api.GET("/api/v1/accounts", { params: { query } }), api.GET("/api/v1/hosts", { params: { query } })]).then(
      ([accounts, hosts]) =>
        setOptions({
          account: (accounts.data?.items ?? []).map((a) => ({ id: a.account_id, name: a.display_name ?? a.account_id })),
          host: (hosts.data?.items ?? []).filter((h) => h.active).map((h) => ({ id: h.host_id, name: h.name })),
        }),
      () => setOptions({ account: [], host: [] }),
    );
  }, [studio.studio_id]);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = parseAmount(amount, ["IDR", "VND", "TWD"].includes(studio.currency));
    if (value === null || Number(value) <= 0) {
      setStatus({ kind: "error", text: m("badAmount") });
      return;
    }
    setStatus({ kind: "saving" });
    try {
      const body = { month: props.month, scope, amount: value, ...(scope === "studio" ? {} : { scope_id: who }) };
      const { data, response } = await api.POST("/api/v1/studios/{studio_id}/targets", {
        params: { path: { studio_id: studio.studio_id } },
        body,
      });
      const outcome = await settle(data, response);
      if (outcome.ok) {
        setStatus({ kind: "idle" });
        props.onSaved(m("saved"));
      } else setStatus({ kind: "error", text: t("refused", { error: outcome.error }) });
    } catch {
      setStatus({ kind: "error", text: t("networkError") });
    }
  };
  const choices = scope === "studio" ? [] : (options?.[scope] ?? []);
  return (
    <form class="target-form" onSubmit={submit} aria-labelledby="target-form-h">
      <h3 id="target-form-h">
        {m("set")} · {props.month}
      </h3>
      <div class="spend-fields">
        <label>
          {m("scope")}
          <select
            value={scope}
            onChange={(e) => {
              setScope((e.target as HTMLSelectElement).value as Scope);
              setWho("");
            }}
          >
            {(["studio", "account", "host"] as const).map((s) => (
              <option key={s} value={s}>
                {m(SCOPE_CHOICE[s])}
              </option>
            ))}
          </select>
        </label>
        {scope !== "studio" && (
          <label>
            {m("who")}
            <select value={who} required onChange={(e) => setWho((e.target as HTMLSelectElement).value)}>
              <option value="">{options === null ? t("loading") : m("pick")}</option>
              {choices.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {m("amount", { currency: studio.currency })}
          <input type="text" inputMode="decimal" autoComplete="off" value={amount} required onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={status.kind === "saving"}>
          {status.kind === "saving" ? t("saving") : m("save")}
        </button>
      </div>
      {status.kind === "error" && (
        <p role="alert" class="error small">
          {status.text}
        </p>
      )}
    </form>
  );
}

export function TargetsSection(props: { studio: Studio }) {
  const { studio } = props;
  const [month, setMonth] = useState(() => todayIn(studio.timezone).slice(0, 7));
  const [data, setData] = useState<Load<Target[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [note, setNote] = useState<{ error: boolean; text: string } | null>(null);
  useEffect(() => {
    let stop = false;
    setData((d) => (d.state === "ready" ? d : { state: "loading" }));
    api.GET("/api/v1/targets", { params: { query: { month, studio_id: studio.studio_id } } }).then(
      ({ data: body }) => !stop && setData(body ? { state: "ready", value: body.items } : { state: "error" }),
      () => !stop && setData({ state: "error" }),
    );
    return () => {
      stop = true;
    };
  }, [month, studio.studio_id, attempt]);
  const reload = (text: string) => {
    setNote({ error: false, text });
    setAttempt((n) => n + 1);
  };
  return (
    <section class="card targets" aria-labelledby="targets-h" data-testid="targets">
      <h2 id="targets-h">{m("title")}</h2>
      <p class="muted small">{m("help")}</p>
      <p>
        <label>
          {m("month")}{" "}
          <input
            type="month"
            value={month}
            min="2000-01"
            max="2099-12"
            required
            onChange={(e) => {
              const value = (e.target as HTMLInputElement).value;
              if (/^\d{4}-\d{2}$/.test(value)) {
                setData({ state: "loading" });
                setMonth(value);
              }
            }}
          />
        </label>
      </p>
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" &&
        (data.value.length === 0 ? (
          <Empty text={m("none")} />
        ) : (
          <ul class="target-list">
            {data.value.map((tg) => (
              <TargetRow key={`${tg.scope}:${tg.scope_id}`} target={tg} onRemoved={reload} onError={(text) => setNote({ error: true, text })} />
            ))}
          </ul>
        ))}
      <p role="status" class={note?.error ? "error small" : "small"}>
        {note?.text ?? ""}
      </p>
      <TargetForm studio={studio} month={month} onSaved={reload} />
    </section>
  );
}
