// One monthly GMV target, read only (issue #20): what it is of, a progress bar (a tick marks what is expected by
// now), a pace pill, and the figures: so far with its percent, the target, expected by now, pace and the month-end
// projection. Shared by the analytics page's targets (TargetsSection.tsx, owners and managers) and a host's own
// targets (MyTargets.tsx). Unknown figures are "—" with the reason, never 0.
import type { ComponentChildren } from "preact";
import type { Schemas } from "../api/client";
import { money } from "../format";
import { messages, uiLocale } from "../i18n";

export type Target = Schemas["Target"];

const m = messages({
  en: {
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
    percentOf: "{percent}% of target",
    elapsed: "{days} of {total} days",
  },
  id: {
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
    percentOf: "{percent}% dari target",
    elapsed: "{days} dari {total} hari",
  },
});

const SCOPE_LABEL = { studio: "studio", account: "account", host: "host" } as const;

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

export function nameOf(target: Target): string {
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

/** A target as a list item; `children` follow the figures (the analytics page's remove button). */
export function TargetView(props: { target: Target; children?: ComponentChildren }) {
  const tg = props.target;
  const tone = paceTone(tg.pace);
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
      {props.children}
    </li>
  );
}
