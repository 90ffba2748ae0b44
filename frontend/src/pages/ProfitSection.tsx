// Profit on the analytics page (issue #21): the studio's affiliate commission income (estimated and final; live,
// video and other), ad spend, host pay and the contribution left, for the page's range; per account and per host;
// CSV. Reads GET /api/v1/profit/{summary,accounts,hosts} and /profit/export.csv.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { download } from "../api/download";
import type { Studio } from "../api/studios";
import { Figure } from "../components/Figure";
import { ErrorState, type Load, Loading } from "../components/States";
import { count, money } from "../format";
import { messages } from "../i18n";

type Profit = Schemas["Profit"];
type Data = { summary: Profit; accounts: Schemas["ProfitAccount"][]; hosts: Schemas["ProfitHost"][] };

const m = messages({
  en: {
    title: "Profit",
    help: "Affiliate commission Shopee pays the studio, less ad spend and host pay. Estimated counts pending checkouts; final only settled ones.",
    incomeEstimated: "Commission (estimated)",
    incomeFinal: "Commission (final)",
    live: "from lives",
    video: "from videos",
    other: "other",
    adSpend: "Ad spend",
    hostPay: "Host pay",
    contribution: "Contribution (estimated)",
    contributionFinal: "Contribution (final)",
    checkouts: "Checkouts: {n} ({pending} pending, {cancelled} cancelled)",
    byAccount: "Profit per account",
    byHost: "Profit per host",
    account: "Account",
    host: "Host",
    unassigned: "Unassigned (video, other, or nobody on air)",
    noAdSpend: "No ad spend typed in for this range",
    csv: "CSV per {by}",
    day: "day",
    accountWord: "account",
    hostWord: "host",
    session: "session",
    downloadFailed: "The download failed ({status}).",
    empty: "No commission, ad spend or host pay in this range.",
  },
  id: {
    title: "Laba",
    help: "Komisi afiliasi yang dibayar Shopee ke studio, dikurangi biaya iklan dan gaji host. Estimasi menghitung checkout yang masih tertunda; final hanya yang sudah selesai.",
    incomeEstimated: "Komisi (estimasi)",
    incomeFinal: "Komisi (final)",
    live: "dari live",
    video: "dari video",
    other: "lainnya",
    adSpend: "Biaya iklan",
    hostPay: "Gaji host",
    contribution: "Kontribusi (estimasi)",
    contributionFinal: "Kontribusi (final)",
    checkouts: "Checkout: {n} ({pending} tertunda, {cancelled} dibatalkan)",
    byAccount: "Laba per akun",
    byHost: "Laba per host",
    account: "Akun",
    host: "Host",
    unassigned: "Tidak terbagi (video, lainnya, atau tanpa host live)",
    noAdSpend: "Belum ada biaya iklan untuk rentang ini",
    csv: "CSV per {by}",
    day: "hari",
    accountWord: "akun",
    hostWord: "host",
    session: "sesi",
    downloadFailed: "Unduhan gagal ({status}).",
    empty: "Tidak ada komisi, biaya iklan, atau gaji host di rentang ini.",
  },
});

function Row(props: { name: string; profit: Profit; currency: string }) {
  const p = props.profit;
  return (
    <tr>
      <th scope="row">{props.name}</th>
      <td class="num">{money(p.income.estimated, props.currency)}</td>
      <td class="num" title={p.ad_spend == null ? m("noAdSpend") : undefined}>{money(p.ad_spend, props.currency)}</td>
      <td class="num">{money(p.host_pay, props.currency)}</td>
      <td class="num">{money(p.contribution_estimated, props.currency)}</td>
    </tr>
  );
}

function Table(props: { caption: string; first: string; rows: { key: string; name: string; profit: Profit }[]; currency: string }) {
  return (
    <div class="table-scroll">
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.first}</th>
            <th scope="col" class="num">{m("incomeEstimated")}</th>
            <th scope="col" class="num">{m("adSpend")}</th>
            <th scope="col" class="num">{m("hostPay")}</th>
            <th scope="col" class="num">{m("contribution")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <Row key={r.key} name={r.name} profit={r.profit} currency={props.currency} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProfitSection(props: { studio: Studio; from: string; to: string }) {
  const { studio, from, to } = props;
  const currency = studio.currency;
  const [data, setData] = useState<Load<Data>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState<number | null>(null);
  useEffect(() => {
    setData({ state: "loading" });
    const query = { date_from: from, date_to: to, studio_id: studio.studio_id };
    Promise.all([
      api.GET("/api/v1/profit/summary", { params: { query } }),
      api.GET("/api/v1/profit/accounts", { params: { query } }),
      api.GET("/api/v1/profit/hosts", { params: { query } }),
    ]).then(
      ([summary, accounts, hosts]) =>
        setData(
          summary.data && accounts.data && hosts.data
            ? { state: "ready", value: { summary: summary.data.profit, accounts: accounts.data.items, hosts: hosts.data.items } }
            : { state: "error" },
        ),
      () => setData({ state: "error" }),
    );
  }, [from, to, studio.studio_id, attempt]);

  const csv = async (by: "day" | "account" | "host" | "session") => {
    setFailed(null);
    const q = new URLSearchParams({ date_from: from, date_to: to, studio_id: studio.studio_id, by });
    const saved = await download(`/api/v1/profit/export.csv?${q}`, `profit-${by}-${from}-${to}.csv`);
    if (!saved.ok) setFailed(saved.status);
  };
  const byLabel = { day: m("day"), account: m("accountWord"), host: m("hostWord"), session: m("session") };

  return (
    <section class="card profit" aria-labelledby="profit-h" data-testid="profit">
      <h2 id="profit-h">{m("title")}</h2>
      <p class="muted small">{m("help")}</p>
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" && (
        <>
          <dl class="figures">
            <Figure label={m("incomeEstimated")} value={money(data.value.summary.income.estimated, currency)} big testid="profit-income" />
            <Figure label={m("incomeFinal")} value={money(data.value.summary.income.final, currency)} />
            <Figure label={m("adSpend")} value={money(data.value.summary.ad_spend, currency)} unknown={data.value.summary.ad_spend == null} />
            <Figure label={m("hostPay")} value={money(data.value.summary.host_pay, currency)} />
            <Figure label={m("contribution")} value={money(data.value.summary.contribution_estimated, currency)} big testid="profit-contribution" />
            <Figure label={m("contributionFinal")} value={money(data.value.summary.contribution_final, currency)} />
          </dl>
          <p class="small muted">
            {m("live")} {money(data.value.summary.income.live_estimated, currency)} · {m("video")}{" "}
            {money(data.value.summary.income.video_estimated, currency)} · {m("other")}{" "}
            {money(data.value.summary.income.other_estimated, currency)} ·{" "}
            {m("checkouts", {
              n: count(data.value.summary.income.checkouts),
              pending: count(data.value.summary.income.pending),
              cancelled: count(data.value.summary.income.cancelled),
            })}
          </p>
          {data.value.accounts.length === 0 && data.value.hosts.length === 0 ? (
            <p class="state">{m("empty")}</p>
          ) : (
            <>
              <h3>{m("byAccount")}</h3>
              <Table
                caption={m("byAccount")}
                first={m("account")}
                currency={currency}
                rows={data.value.accounts.map((a) => ({ key: a.account_id ?? "-", name: a.display_name ?? a.account_id ?? m("unassigned"), profit: a.profit }))}
              />
              <h3>{m("byHost")}</h3>
              <Table
                caption={m("byHost")}
                first={m("host")}
                currency={currency}
                rows={data.value.hosts.map((h) => ({ key: h.host_id ?? "-", name: h.name ?? h.host_id ?? m("unassigned"), profit: h.profit }))}
              />
            </>
          )}
          <div class="actions">
            {(["day", "account", "host", "session"] as const).map((by) => (
              <button key={by} type="button" class="secondary" onClick={() => csv(by)}>
                {m("csv", { by: byLabel[by] })}
              </button>
            ))}
          </div>
          {failed !== null && <p class="error" role="alert">{m("downloadFailed", { status: failed })}</p>}
        </>
      )}
    </section>
  );
}
