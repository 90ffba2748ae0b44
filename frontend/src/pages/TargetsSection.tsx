// Monthly GMV targets on the analytics page (issue #20): each target of the studio, its accounts and hosts for a
// month of the studio's calendar, with a progress bar (a tick marks what is expected by now), pace and the
// month-end projection (each one drawn by TargetView.tsx); a form to set one and a confirmed remove. Reads GET /api/v1/targets; writes
// POST /api/v1/studios/{id}/targets and DELETE …/targets/{month}/{scope}/{scope_id} (commands, followed to the end).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import { settle } from "../api/commands";
import type { Studio } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { messages, t } from "../i18n";
import { parseAmount, todayIn } from "./Analytics";
import { type Target, TargetView, nameOf } from "./TargetView";

type Scope = Target["scope"];
type Option = { id: string; name: string };

const m = messages({
  en: {
    title: "Monthly targets",
    help: "Confirmed GMV of the month so far against each target. Expected by now grows evenly over the month's days in the studio's timezone; pace is the GMV so far divided by what is expected by now.",
    month: "Month",
    studioTarget: "Whole studio",
    account: "Account",
    host: "Host",
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
  },
  id: {
    title: "Target bulanan",
    help: "GMV terkonfirmasi bulan ini sejauh ini dibanding setiap target. Yang diharapkan sampai sekarang naik merata menurut hari dalam bulan (zona waktu studio); laju adalah GMV sejauh ini dibagi yang diharapkan.",
    month: "Bulan",
    studioTarget: "Seluruh studio",
    account: "Akun",
    host: "Host",
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
  },
});

const SCOPE_CHOICE = { studio: "studioTarget", account: "account", host: "host" } as const;

function TargetRow(props: { target: Target; onRemoved: (text: string) => void; onError: (text: string) => void }) {
  const tg = props.target;
  const [busy, setBusy] = useState(false);
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
    <TargetView target={tg}>
      <button type="button" class="secondary" disabled={busy} onClick={remove}>
        {busy ? t("saving") : m("remove")}
      </button>
    </TargetView>
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
