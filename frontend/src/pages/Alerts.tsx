// Alerts: the studio's notification channels (webhook / Telegram / email; secrets write-only, never shown back),
// its rules (kind, minutes or threshold, account, de-duplication window, quiet hours; enable, edit, delete), the
// daily summary (studio-local time) and the history of notifications with each channel's delivery state.
// Reads: GET /api/v1/alerts/{channels,rules,summaries,history}; writes: alert commands through settle().
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import { useStudios } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { dateTime } from "../format";
import { messages, t, uiLocale, useLang } from "../i18n";

type Channel = Schemas["AlertChannel"];
type ChannelKind = Schemas["AlertChannelBody"]["kind"];
type Rule = Schemas["AlertRule"];
type RuleKind = Schemas["AlertRuleBody"]["kind"];
type Summary = Schemas["AlertSummary"];
type Notification = Schemas["AlertNotification"];
type Account = Schemas["Account"];

const m = messages({
  en: {
    intro: "Where and when Live Studio tells you about trouble. Times are the studio's local time ({tz}).",
    channels: "Channels",
    rules: "Rules",
    summary: "Daily summary",
    history: "Notifications sent",
    addChannel: "Add a channel",
    addRule: "Add a rule",
    edit: "Edit",
    delete: "Delete",
    deleteAsk: "Delete {name}?",
    enable: "Enable",
    disable: "Disable",
    enabled: "Enabled",
    disabled: "Disabled",
    save: "Save",
    name: "Name",
    kind: "Type",
    destination: "Sends to",
    secret: "Secret",
    secretStored: "stored",
    secretNone: "none",
    webhook: "Webhook",
    telegram: "Telegram",
    email: "Email",
    url: "Webhook URL",
    chatId: "Telegram chat ID",
    smtpHost: "SMTP server",
    smtpPort: "SMTP port",
    smtpUser: "SMTP user name (optional)",
    starttls: "Use STARTTLS",
    emailFrom: "From address",
    emailTo: "To addresses (comma-separated)",
    secret_webhook: "Signing secret",
    secret_telegram: "Bot token",
    secret_email: "SMTP password",
    secretKeep: "A secret is stored and never shown. Leave empty to keep it, or type a new one.",
    secretNew: "Write-only: it is encrypted and never shown again.",
    newChannel: "New channel",
    editChannel: "Edit channel {name}",
    newRule: "New rule",
    editRule: "Edit rule",
    noChannels: "No channels yet. Add one so that rules have somewhere to send.",
    noRules: "No rules yet.",
    noHistory: "No notifications yet.",
    rule_account_unhealthy: "Account sign-in expired or polling failing",
    rule_shift_not_live: "Shift started but the account is not live",
    rule_host_not_checked_in: "A rostered host has not checked in",
    rule_data_stale: "No fresh data from an account",
    rule_roas_below: "Yesterday's ROAS below a threshold",
    rule_gmv_pace: "GMV behind a monthly target's pace",
    paceFloor: "Alert when the pace is below (1 = on track)",
    elapsedPercent: "Only after this much of the month has passed (%)",
    afterPercent: "after {n}% of the month",
    kind_daily_summary: "Daily summary",
    minutes: "After how many minutes",
    threshold: "ROAS threshold",
    account: "Account",
    allAccounts: "All accounts",
    sendTo: "Send to",
    noChannelChosen: "no channel",
    dedup: "Do not repeat within (minutes)",
    quiet: "Quiet hours",
    quietFrom: "Quiet from",
    quietUntil: "Quiet until",
    quietNone: "none",
    quietHelp: "During quiet hours a notification is recorded but not sent. Leave both empty for none.",
    when: "When",
    what: "Details",
    outcome: "Outcome",
    deliveries: "Deliveries",
    status_queued: "Sent to the channels",
    status_suppressed_quiet: "Held: quiet hours",
    status_suppressed_dedup: "Held: repeat within the window",
    status_no_channel: "No channel to send to",
    delivery_sent: "delivered",
    delivery_pending: "sending (attempt {n})",
    delivery_failed: "failed: {error}",
    summaryEnabled: "Send a daily summary",
    summaryTime: "Send at (studio time)",
    summaryLast: "Last sent for {day}",
    summaryNever: "Not sent yet",
    summaryHelp: "The previous day's GMV, orders, ad spend, ROAS, shifts, top products and accounts that need attention.",
    everyMinutes: "after {n} min",
    below: "below {x}",
    dedupShort: "repeat after {n} min",
    removedChannel: "(removed channel)",
    older: "Show older notifications",
  },
  id: {
    intro: "Ke mana dan kapan Live Studio memberi tahu Anda soal masalah. Waktu memakai waktu lokal studio ({tz}).",
    channels: "Kanal",
    rules: "Aturan",
    summary: "Ringkasan harian",
    history: "Notifikasi terkirim",
    addChannel: "Tambah kanal",
    addRule: "Tambah aturan",
    edit: "Ubah",
    delete: "Hapus",
    deleteAsk: "Hapus {name}?",
    enable: "Aktifkan",
    disable: "Nonaktifkan",
    enabled: "Aktif",
    disabled: "Nonaktif",
    save: "Simpan",
    name: "Nama",
    kind: "Jenis",
    destination: "Dikirim ke",
    secret: "Rahasia",
    secretStored: "tersimpan",
    secretNone: "tidak ada",
    webhook: "Webhook",
    telegram: "Telegram",
    email: "Email",
    url: "URL webhook",
    chatId: "ID chat Telegram",
    smtpHost: "Server SMTP",
    smtpPort: "Port SMTP",
    smtpUser: "Nama pengguna SMTP (opsional)",
    starttls: "Pakai STARTTLS",
    emailFrom: "Alamat pengirim",
    emailTo: "Alamat tujuan (pisahkan dengan koma)",
    secret_webhook: "Rahasia tanda tangan",
    secret_telegram: "Token bot",
    secret_email: "Kata sandi SMTP",
    secretKeep: "Rahasia tersimpan dan tidak pernah ditampilkan. Kosongkan untuk tetap memakainya, atau ketik yang baru.",
    secretNew: "Hanya tulis: dienkripsi dan tidak pernah ditampilkan lagi.",
    newChannel: "Kanal baru",
    editChannel: "Ubah kanal {name}",
    newRule: "Aturan baru",
    editRule: "Ubah aturan",
    noChannels: "Belum ada kanal. Tambahkan satu agar aturan punya tujuan pengiriman.",
    noRules: "Belum ada aturan.",
    noHistory: "Belum ada notifikasi.",
    rule_account_unhealthy: "Login akun kedaluwarsa atau polling bermasalah",
    rule_shift_not_live: "Shift dimulai tetapi akun tidak live",
    rule_host_not_checked_in: "Host terjadwal belum check-in",
    rule_data_stale: "Tidak ada data baru dari akun",
    rule_roas_below: "ROAS kemarin di bawah ambang",
    rule_gmv_pace: "GMV tertinggal dari laju target bulanan",
    paceFloor: "Beri tahu jika laju di bawah (1 = sesuai target)",
    elapsedPercent: "Hanya setelah bagian bulan ini berlalu (%)",
    afterPercent: "setelah {n}% bulan berjalan",
    kind_daily_summary: "Ringkasan harian",
    minutes: "Setelah berapa menit",
    threshold: "Ambang ROAS",
    account: "Akun",
    allAccounts: "Semua akun",
    sendTo: "Kirim ke",
    noChannelChosen: "tanpa kanal",
    dedup: "Jangan ulangi dalam (menit)",
    quiet: "Jam tenang",
    quietFrom: "Tenang mulai",
    quietUntil: "Tenang sampai",
    quietNone: "tidak ada",
    quietHelp: "Selama jam tenang notifikasi dicatat tetapi tidak dikirim. Kosongkan keduanya jika tidak perlu.",
    when: "Waktu",
    what: "Rincian",
    outcome: "Hasil",
    deliveries: "Pengiriman",
    status_queued: "Dikirim ke kanal",
    status_suppressed_quiet: "Ditahan: jam tenang",
    status_suppressed_dedup: "Ditahan: berulang dalam jendela",
    status_no_channel: "Tidak ada kanal tujuan",
    delivery_sent: "terkirim",
    delivery_pending: "mengirim (percobaan {n})",
    delivery_failed: "gagal: {error}",
    summaryEnabled: "Kirim ringkasan harian",
    summaryTime: "Kirim pukul (waktu studio)",
    summaryLast: "Terakhir dikirim untuk {day}",
    summaryNever: "Belum pernah dikirim",
    summaryHelp: "GMV, pesanan, biaya iklan, ROAS, shift, produk teratas, dan akun yang perlu perhatian dari hari sebelumnya.",
    everyMinutes: "setelah {n} mnt",
    below: "di bawah {x}",
    dedupShort: "ulang setelah {n} mnt",
    removedChannel: "(kanal dihapus)",
    older: "Tampilkan notifikasi lebih lama",
  },
});
type Msg = Parameters<typeof m>[0];

const RULE_KINDS: RuleKind[] = ["account_unhealthy", "shift_not_live", "host_not_checked_in", "data_stale", "roas_below", "gmv_pace"];
const NEEDS_THRESHOLD = new Set<string>(["roas_below", "gmv_pace"]);
const CHANNEL_KINDS: ChannelKind[] = ["webhook", "telegram", "email"];
const NEEDS_MINUTES = new Set<string>(["shift_not_live", "host_not_checked_in", "data_stale"]);

function kindLabel(kind: string): string {
  if (kind === "daily_summary") return m("kind_daily_summary");
  return (RULE_KINDS as string[]).includes(kind) ? m(`rule_${kind}` as Msg) : kind;
}

function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** "08:30:00" -> "08:30" (what a time input shows); "" -> null; "08:30" -> "08:30:00" (what the API takes). */
const hhmm = (v: string | null | undefined) => (v ? v.slice(0, 5) : "");
const toApiTime = (v: string) => (v ? `${v.slice(0, 5)}:00` : null);

/** "2026-12-06" as the UI language writes a day ("6 Dec 2026"); the day is the studio's, so no zone shift. */
function localDay(day: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(uiLocale(), { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
}

type Saving = { busy: boolean; error: string | null };

/** Runs a write, then `done` when it was applied; its error text otherwise. */
function useWrite(): [Saving, (send: () => Promise<{ data?: Schemas["CommandAccepted"]; response: Response }>, done: () => void) => Promise<void>] {
  const [state, setState] = useState<Saving>({ busy: false, error: null });
  const run = async (send: () => Promise<{ data?: Schemas["CommandAccepted"]; response: Response }>, done: () => void) => {
    setState({ busy: true, error: null });
    try {
      const sent = await send();
      const outcome = await settle(sent.data, sent.response);
      if (outcome.ok) {
        setState({ busy: false, error: null });
        done();
      } else setState({ busy: false, error: t("refused", { error: outcome.error }) });
    } catch {
      setState({ busy: false, error: t("networkError") });
    }
  };
  return [state, run];
}

function WriteError(props: { state: Saving }) {
  return props.state.error ? (
    <p class="error" role="alert">
      {props.state.error}
    </p>
  ) : null;
}

/** A destructive action: the first press asks, the second (Confirm) does it. */
function DeleteButton(props: { name: string; onConfirm: () => void; busy: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class="secondary danger" onClick={() => setAsking(true)}>
        {m("delete")}
        <span class="sr-only"> {props.name}</span>
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={m("deleteAsk", { name: props.name })}>
      <span>{m("deleteAsk", { name: props.name })}</span>
      <button type="button" class="danger" disabled={props.busy} onClick={props.onConfirm} autoFocus>
        {t("confirm")}
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        {t("cancel")}
      </button>
    </span>
  );
}

function channelDestination(c: Channel): string {
  const cfg = c.config as Record<string, unknown>;
  if (c.kind === "webhook") return String(cfg.url ?? "");
  if (c.kind === "telegram") return `chat ${String(cfg.chat_id ?? "")}`;
  const to = Array.isArray(cfg.email_to) ? (cfg.email_to as string[]).join(", ") : "";
  return `${to} (${String(cfg.smtp_host ?? "")})`;
}

function ChannelForm(props: { studioId: string; channel: Channel | null; onDone: () => void; onCancel: () => void }) {
  const c = props.channel;
  const cfg = (c?.config ?? {}) as Record<string, unknown>;
  const [name, setName] = useState(c?.name ?? "");
  const [kind, setKind] = useState<ChannelKind>((c?.kind as ChannelKind | undefined) ?? "webhook");
  const [enabled, setEnabled] = useState(c?.enabled ?? true);
  const [url, setUrl] = useState(String(cfg.url ?? ""));
  const [chatId, setChatId] = useState(String(cfg.chat_id ?? ""));
  const [smtpHost, setSmtpHost] = useState(String(cfg.smtp_host ?? ""));
  const [smtpPort, setSmtpPort] = useState(cfg.smtp_port == null ? "" : String(cfg.smtp_port));
  const [smtpUser, setSmtpUser] = useState(cfg.smtp_username == null ? "" : String(cfg.smtp_username));
  const [starttls, setStarttls] = useState(Boolean(cfg.smtp_starttls));
  const [emailFrom, setEmailFrom] = useState(String(cfg.email_from ?? ""));
  const [emailTo, setEmailTo] = useState(Array.isArray(cfg.email_to) ? (cfg.email_to as string[]).join(", ") : "");
  const [secret, setSecret] = useState("");
  const [saving, write] = useWrite();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const keep = c?.has_secret && c.kind === kind;
  const secretRequired = !keep && (kind !== "email" || smtpUser.trim() !== "");

  function submit(event: Event) {
    event.preventDefault();
    const body: Schemas["AlertChannelBody"] = { name: name.trim(), kind, enabled, smtp_starttls: starttls, secret: secret || null };
    if (kind === "webhook") body.url = url.trim();
    if (kind === "telegram") body.chat_id = chatId.trim();
    if (kind === "email") {
      body.smtp_host = smtpHost.trim();
      body.smtp_port = smtpPort ? Number(smtpPort) : null;
      body.smtp_username = smtpUser.trim() || null;
      body.email_from = emailFrom.trim();
      body.email_to = emailTo.split(",").map((s) => s.trim()).filter(Boolean);
    }
    const channelId = c?.channel_id ?? newId("ch");
    void write(
      () =>
        api.PUT("/api/v1/studios/{studio_id}/alerts/channels/{channel_id}", {
          params: { path: { studio_id: props.studioId, channel_id: channelId } },
          body,
        }),
      () => {
        setSecret("");
        props.onDone();
      },
    );
  }

  return (
    <form class="form sub" onSubmit={submit} aria-labelledby="channel-form-title">
      <h3 id="channel-form-title" tabIndex={-1} ref={heading}>
        {c ? m("editChannel", { name: c.name }) : m("newChannel")}
      </h3>
      <label for="ch-name">{m("name")}</label>
      <input id="ch-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="ch-kind">{m("kind")}</label>
      <select id="ch-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as ChannelKind)}>
        {CHANNEL_KINDS.map((k) => (
          <option key={k} value={k}>
            {m(k)}
          </option>
        ))}
      </select>
      {kind === "webhook" && (
        <>
          <label for="ch-url">{m("url")}</label>
          <input id="ch-url" type="url" required placeholder="https://" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </>
      )}
      {kind === "telegram" && (
        <>
          <label for="ch-chat">{m("chatId")}</label>
          <input id="ch-chat" required value={chatId} onInput={(e) => setChatId(e.currentTarget.value)} />
        </>
      )}
      {kind === "email" && (
        <>
          <label for="ch-host">{m("smtpHost")}</label>
          <input id="ch-host" required value={smtpHost} onInput={(e) => setSmtpHost(e.currentTarget.value)} />
          <label for="ch-port">{m("smtpPort")}</label>
          <input id="ch-port" type="number" min={1} max={65535} inputMode="numeric" placeholder="25" value={smtpPort} onInput={(e) => setSmtpPort(e.currentTarget.value)} />
          <label for="ch-user">{m("smtpUser")}</label>
          <input id="ch-user" autocomplete="off" value={smtpUser} onInput={(e) => setSmtpUser(e.currentTarget.value)} />
          <label class="check">
            <input type="checkbox" checked={starttls} onChange={(e) => setStarttls(e.currentTarget.checked)} /> {m("starttls")}
          </label>
          <label for="ch-from">{m("emailFrom")}</label>
          <input id="ch-from" type="email" required value={emailFrom} onInput={(e) => setEmailFrom(e.currentTarget.value)} />
          <label for="ch-to">{m("emailTo")}</label>
          <input id="ch-to" required value={emailTo} onInput={(e) => setEmailTo(e.currentTarget.value)} />
        </>
      )}
      <label for="ch-secret">{m(`secret_${kind}`)}</label>
      <input
        id="ch-secret"
        type="password"
        autocomplete="new-password"
        required={secretRequired}
        aria-describedby="ch-secret-help"
        value={secret}
        onInput={(e) => setSecret(e.currentTarget.value)}
      />
      <p id="ch-secret-help" class="muted small">
        {keep ? m("secretKeep") : m("secretNew")}
      </p>
      <label class="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> {m("enabled")}
      </label>
      <WriteError state={saving} />
      <div class="actions">
        <button type="submit" disabled={saving.busy}>
          {saving.busy ? t("saving") : m("save")}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

function Channels(props: { studioId: string; channels: Channel[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [saving, write] = useWrite();
  const remove = (c: Channel) =>
    write(
      () =>
        api.DELETE("/api/v1/studios/{studio_id}/alerts/channels/{channel_id}", {
          params: { path: { studio_id: props.studioId, channel_id: c.channel_id } },
        }),
      props.onChanged,
    );
  return (
    <section class="card" aria-labelledby="channels-title">
      <header>
        <h2 id="channels-title">{m("channels")}</h2>
        {editing === null && (
          <button type="button" onClick={() => setEditing("new")}>
            {m("addChannel")}
          </button>
        )}
      </header>
      {editing !== null && (
        <ChannelForm
          key={editing === "new" ? "new" : editing.channel_id}
          studioId={props.studioId}
          channel={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            props.onChanged();
          }}
        />
      )}
      <WriteError state={saving} />
      {props.channels.length === 0 ? (
        <Empty text={m("noChannels")} />
      ) : (
        <ul class="rows">
          {props.channels.map((c) => (
            <li key={c.channel_id} data-channel={c.channel_id}>
              <div class="row-main">
                <strong>{c.name}</strong> <span class="pill">{m(c.kind as ChannelKind)}</span>{" "}
                {!c.enabled && <span class="pill">{m("disabled")}</span>}
                <div class="muted small break">
                  {m("destination")}: {channelDestination(c)}
                </div>
                <div class="muted small">
                  {m("secret")}: {c.has_secret ? m("secretStored") : m("secretNone")}
                </div>
              </div>
              <div class="actions">
                <button type="button" class="secondary" onClick={() => setEditing(c)}>
                  {m("edit")}
                  <span class="sr-only"> {c.name}</span>
                </button>
                <DeleteButton name={c.name} busy={saving.busy} onConfirm={() => remove(c)} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ChannelChoice(props: { channels: Channel[]; chosen: string[]; onChange: (ids: string[]) => void; legend: string }) {
  const toggle = (id: string, on: boolean) =>
    props.onChange(on ? [...props.chosen, id] : props.chosen.filter((x) => x !== id));
  return (
    <fieldset class="choices">
      <legend>{props.legend}</legend>
      {props.channels.length === 0 && <p class="muted small">{m("noChannels")}</p>}
      {props.channels.map((c) => (
        <label key={c.channel_id} class="check">
          <input type="checkbox" checked={props.chosen.includes(c.channel_id)} onChange={(e) => toggle(c.channel_id, e.currentTarget.checked)} />{" "}
          {c.name}
        </label>
      ))}
    </fieldset>
  );
}

function ruleBody(r: Rule): Schemas["AlertRuleBody"] {
  return {
    kind: r.kind as RuleKind,
    enabled: r.enabled,
    channel_ids: r.channel_ids,
    account_id: r.account_id,
    minutes: r.minutes,
    threshold: r.threshold,
    elapsed_percent: r.elapsed_percent,
    dedup_minutes: r.dedup_minutes,
    quiet_start: r.quiet_start,
    quiet_end: r.quiet_end,
  };
}

function RuleForm(props: {
  studioId: string;
  rule: Rule | null;
  channels: Channel[];
  accounts: Account[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const r = props.rule;
  const [kind, setKind] = useState<RuleKind>((r?.kind as RuleKind | undefined) ?? "account_unhealthy");
  const [minutes, setMinutes] = useState(r?.minutes == null ? "15" : String(r.minutes));
  const [threshold, setThreshold] = useState(r?.threshold ?? "2");
  const [elapsed, setElapsed] = useState(String(r?.elapsed_percent ?? 20));
  const [accountId, setAccountId] = useState(r?.account_id ?? "");
  const [channelIds, setChannelIds] = useState<string[]>(r?.channel_ids ?? props.channels.map((c) => c.channel_id));
  const [dedup, setDedup] = useState(String(r?.dedup_minutes ?? 60));
  const [quietStart, setQuietStart] = useState(hhmm(r?.quiet_start));
  const [quietEnd, setQuietEnd] = useState(hhmm(r?.quiet_end));
  const [enabled, setEnabled] = useState(r?.enabled ?? true);
  const [saving, write] = useWrite();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  function submit(event: Event) {
    event.preventDefault();
    const body: Schemas["AlertRuleBody"] = {
      kind,
      enabled,
      channel_ids: channelIds,
      account_id: accountId || null,
      minutes: NEEDS_MINUTES.has(kind) ? Number(minutes) : null,
      threshold: NEEDS_THRESHOLD.has(kind) ? threshold.trim() : null,
      elapsed_percent: kind === "gmv_pace" ? Number(elapsed) : null,
      dedup_minutes: Number(dedup),
      quiet_start: toApiTime(quietStart),
      quiet_end: toApiTime(quietEnd),
    };
    const ruleId = r?.rule_id ?? newId("rule");
    void write(
      () =>
        api.PUT("/api/v1/studios/{studio_id}/alerts/rules/{rule_id}", {
          params: { path: { studio_id: props.studioId, rule_id: ruleId } },
          body,
        }),
      props.onDone,
    );
  }

  return (
    <form class="form sub" onSubmit={submit} aria-labelledby="rule-form-title">
      <h3 id="rule-form-title" tabIndex={-1} ref={heading}>
        {r ? m("editRule") : m("newRule")}
      </h3>
      <label for="rule-kind">{m("kind")}</label>
      <select id="rule-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as RuleKind)}>
        {RULE_KINDS.map((k) => (
          <option key={k} value={k}>
            {kindLabel(k)}
          </option>
        ))}
      </select>
      {NEEDS_MINUTES.has(kind) && (
        <>
          <label for="rule-minutes">{m("minutes")}</label>
          <input id="rule-minutes" type="number" required min={1} max={1440} inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
        </>
      )}
      {NEEDS_THRESHOLD.has(kind) && (
        <>
          <label for="rule-threshold">{kind === "gmv_pace" ? m("paceFloor") : m("threshold")}</label>
          <input id="rule-threshold" required inputMode="decimal" pattern="[0-9]{1,7}(\.[0-9]{1,4})?" value={threshold} onInput={(e) => setThreshold(e.currentTarget.value)} />
        </>
      )}
      {kind === "gmv_pace" && (
        <>
          <label for="rule-elapsed">{m("elapsedPercent")}</label>
          <input id="rule-elapsed" type="number" required min={0} max={100} inputMode="numeric" value={elapsed} onInput={(e) => setElapsed(e.currentTarget.value)} />
        </>
      )}
      <label for="rule-account">{m("account")}</label>
      <select id="rule-account" value={accountId} onChange={(e) => setAccountId(e.currentTarget.value)}>
        <option value="">{m("allAccounts")}</option>
        {props.accounts.map((a) => (
          <option key={a.account_id} value={a.account_id}>
            {a.display_name ?? a.account_id}
          </option>
        ))}
      </select>
      <ChannelChoice legend={m("sendTo")} channels={props.channels} chosen={channelIds} onChange={setChannelIds} />
      <label for="rule-dedup">{m("dedup")}</label>
      <input id="rule-dedup" type="number" required min={0} max={10080} inputMode="numeric" value={dedup} onInput={(e) => setDedup(e.currentTarget.value)} />
      <fieldset class="choices">
        <legend>{m("quiet")}</legend>
        <p class="muted small">{m("quietHelp")}</p>
        <div class="pair">
          <span>
            <label for="rule-quiet-start">{m("quietFrom")}</label>
            <input id="rule-quiet-start" type="time" required={quietEnd !== ""} value={quietStart} onInput={(e) => setQuietStart(e.currentTarget.value)} />
          </span>
          <span>
            <label for="rule-quiet-end">{m("quietUntil")}</label>
            <input id="rule-quiet-end" type="time" required={quietStart !== ""} value={quietEnd} onInput={(e) => setQuietEnd(e.currentTarget.value)} />
          </span>
        </div>
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> {m("enabled")}
      </label>
      <WriteError state={saving} />
      <div class="actions">
        <button type="submit" disabled={saving.busy}>
          {saving.busy ? t("saving") : m("save")}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

function Rules(props: { studioId: string; rules: Rule[]; channels: Channel[]; accounts: Account[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [saving, write] = useWrite();
  const channelName = (id: string) => props.channels.find((c) => c.channel_id === id)?.name ?? m("removedChannel");
  const accountName = (id: string | null) => {
    if (!id) return m("allAccounts");
    const a = props.accounts.find((x) => x.account_id === id);
    return a?.display_name ?? id;
  };
  const put = (r: Rule, body: Schemas["AlertRuleBody"]) =>
    write(
      () =>
        api.PUT("/api/v1/studios/{studio_id}/alerts/rules/{rule_id}", {
          params: { path: { studio_id: props.studioId, rule_id: r.rule_id } },
          body,
        }),
      props.onChanged,
    );
  const remove = (r: Rule) =>
    write(
      () =>
        api.DELETE("/api/v1/studios/{studio_id}/alerts/rules/{rule_id}", {
          params: { path: { studio_id: props.studioId, rule_id: r.rule_id } },
        }),
      props.onChanged,
    );
  return (
    <section class="card" aria-labelledby="rules-title">
      <header>
        <h2 id="rules-title">{m("rules")}</h2>
        {editing === null && (
          <button type="button" onClick={() => setEditing("new")}>
            {m("addRule")}
          </button>
        )}
      </header>
      {editing !== null && (
        <RuleForm
          key={editing === "new" ? "new" : editing.rule_id}
          studioId={props.studioId}
          rule={editing === "new" ? null : editing}
          channels={props.channels}
          accounts={props.accounts}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            props.onChanged();
          }}
        />
      )}
      <WriteError state={saving} />
      {props.rules.length === 0 ? (
        <Empty text={m("noRules")} />
      ) : (
        <ul class="rows">
          {props.rules.map((r) => {
            const label = kindLabel(r.kind);
            const params = [
              r.minutes != null ? m("everyMinutes", { n: r.minutes }) : null,
              r.threshold != null ? m("below", { x: r.threshold }) : null,
              r.elapsed_percent != null ? m("afterPercent", { n: r.elapsed_percent }) : null,
              m("dedupShort", { n: r.dedup_minutes }),
            ].filter(Boolean);
            return (
              <li key={r.rule_id} data-rule={r.rule_id} class={r.enabled ? undefined : "off"}>
                <div class="row-main">
                  <strong>{label}</strong>{" "}
                  <span class={r.enabled ? "pill ok" : "pill"} data-testid="rule-enabled">
                    {r.enabled ? m("enabled") : m("disabled")}
                  </span>
                  <div class="muted small">
                    {accountName(r.account_id)} · {params.join(" · ")}
                  </div>
                  <div class="muted small">
                    {m("sendTo")}: {r.channel_ids.length ? r.channel_ids.map(channelName).join(", ") : m("noChannelChosen")}
                  </div>
                  <div class="muted small">
                    {m("quiet")}: {r.quiet_start && r.quiet_end ? `${hhmm(r.quiet_start)}–${hhmm(r.quiet_end)}` : m("quietNone")}
                  </div>
                </div>
                <div class="actions">
                  <button type="button" class="secondary" disabled={saving.busy} onClick={() => put(r, { ...ruleBody(r), enabled: !r.enabled })}>
                    {r.enabled ? m("disable") : m("enable")}
                    <span class="sr-only"> {label}</span>
                  </button>
                  <button type="button" class="secondary" onClick={() => setEditing(r)}>
                    {m("edit")}
                    <span class="sr-only"> {label}</span>
                  </button>
                  <DeleteButton name={label} busy={saving.busy} onConfirm={() => remove(r)} />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function DailySummary(props: { studioId: string; summary: Summary | null; channels: Channel[]; onChanged: () => void }) {
  const s = props.summary;
  const [enabled, setEnabled] = useState(s?.enabled ?? false);
  const [time, setTime] = useState(hhmm(s?.local_time) || "08:00");
  const [channelIds, setChannelIds] = useState<string[]>(s?.channel_ids ?? []);
  const [saving, write] = useWrite();
  const [saved, setSaved] = useState(false);

  function submit(event: Event) {
    event.preventDefault();
    setSaved(false);
    void write(
      () =>
        api.PUT("/api/v1/studios/{studio_id}/alerts/summary", {
          params: { path: { studio_id: props.studioId } },
          body: { enabled, local_time: toApiTime(time) ?? "08:00:00", channel_ids: channelIds },
        }),
      () => {
        setSaved(true);
        props.onChanged();
      },
    );
  }

  return (
    <section class="card" aria-labelledby="summary-title">
      <header>
        <h2 id="summary-title">{m("summary")}</h2>
      </header>
      <p class="muted small">{m("summaryHelp")}</p>
      <form class="form" onSubmit={submit}>
        <label class="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> {m("summaryEnabled")}
        </label>
        <label for="summary-time">{m("summaryTime")}</label>
        <input id="summary-time" type="time" required value={time} onInput={(e) => setTime(e.currentTarget.value)} />
        <ChannelChoice legend={m("sendTo")} channels={props.channels} chosen={channelIds} onChange={setChannelIds} />
        <p class="muted small">{s?.last_day ? m("summaryLast", { day: localDay(s.last_day) }) : m("summaryNever")}</p>
        <WriteError state={saving} />
        {saved && (
          <p class="ok-text" role="status">
            {t("saved")}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={saving.busy}>
            {saving.busy ? t("saving") : m("save")}
          </button>
        </div>
      </form>
    </section>
  );
}

function deliveryText(d: Schemas["AlertDelivery"]): string {
  if (d.status === "sent") return m("delivery_sent");
  if (d.status === "failed") return m("delivery_failed", { error: d.last_error ?? "?" });
  return m("delivery_pending", { n: d.attempts + 1 });
}

function statusText(status: string): string {
  return ["queued", "suppressed_quiet", "suppressed_dedup", "no_channel"].includes(status)
    ? m(`status_${status}` as Msg)
    : status;
}

const HISTORY_PAGE = 50;

function History(props: { studioId: string; items: Notification[]; channels: Channel[]; timezone: string }) {
  const channelName = (id: string) => props.channels.find((c) => c.channel_id === id)?.name ?? m("removedChannel");
  // The page reloads the newest notifications; older pages, once asked for, stay below them.
  const [older, setOlder] = useState<Notification[]>([]);
  const [olderState, setOlderState] = useState<"idle" | "busy" | "end" | "error">("idle");
  const newest = new Set(props.items.map((n) => n.notification_id));
  const items = [...props.items, ...older.filter((n) => !newest.has(n.notification_id))];
  const more = props.items.length >= HISTORY_PAGE && olderState !== "end";

  async function loadOlder() {
    const last = items[items.length - 1];
    if (!last) return;
    setOlderState("busy");
    try {
      const { data } = await api.GET("/api/v1/alerts/history", {
        params: { query: { studio_id: props.studioId, before: last.decided_at, limit: HISTORY_PAGE } },
      });
      if (!data) return setOlderState("error");
      setOlder((old) => [...old, ...data.items]);
      setOlderState(data.items.length < HISTORY_PAGE ? "end" : "idle");
    } catch {
      setOlderState("error");
    }
  }

  return (
    <section class="card" aria-labelledby="history-title">
      <header>
        <h2 id="history-title">{m("history")}</h2>
      </header>
      {items.length === 0 ? (
        <Empty text={m("noHistory")} />
      ) : (
        <ul class="rows history">
          {items.map((n) => (
            <li key={n.notification_id} data-notification={n.notification_id} data-kind={n.kind}>
              <div class="row-main">
                <div class="muted small">
                  <time dateTime={n.decided_at}>{dateTime(n.decided_at, props.timezone)}</time> · {kindLabel(n.kind)}
                </div>
                <strong>{n.title}</strong>
                {n.body && (
                  <details>
                    <summary>{m("what")}</summary>
                    <p class="pre">{n.body}</p>
                  </details>
                )}
                <div class="small">
                  {m("outcome")}: <span data-testid="notification-status">{statusText(n.status)}</span>
                </div>
                {n.deliveries.length > 0 && (
                  <ul class="deliveries" aria-label={m("deliveries")}>
                    {n.deliveries.map((d) => (
                      <li key={d.channel_id} data-delivery={d.status}>
                        <span class={`pill ${d.status === "sent" ? "ok" : d.status === "failed" ? "bad" : ""}`}>{deliveryText(d)}</span>{" "}
                        {channelName(d.channel_id)}
                        {d.sent_at && <span class="muted"> · {dateTime(d.sent_at, props.timezone)}</span>}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {more && (
        <button type="button" class="secondary" disabled={olderState === "busy"} onClick={loadOlder}>
          {olderState === "busy" ? t("loading") : m("older")}
        </button>
      )}
      {olderState === "error" && (
        <p class="error" role="alert">
          {t("errorLoading")}
        </p>
      )}
    </section>
  );
}

type Data = { channels: Channel[]; rules: Rule[]; summary: Summary | null; history: Notification[]; accounts: Account[] };

export function AlertsPage() {
  useLang();
  const studios = useStudios();
  const [studioId, setStudioId] = useState<string>("");
  const [data, setData] = useState<Load<Data>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [reload, setReload] = useState(0);
  const loaded = useRef(false);
  const studioList = [...studios.values()];
  const studio = studios.get(studioId);
  useEffect(() => {
    if (!studioId && studioList[0]) setStudioId(studioList[0].studio_id);
  }, [studios]);

  useEffect(() => {
    loaded.current = false;
    setData({ state: "loading" });
  }, [attempt, studioId]);
  useEffect(() => {
    if (!studioId) return;
    let stopped = false;
    const query = { params: { query: { studio_id: studioId } } };
    const load = () =>
      Promise.all([
        api.GET("/api/v1/alerts/channels", query),
        api.GET("/api/v1/alerts/rules", query),
        api.GET("/api/v1/alerts/summaries", query),
        api.GET("/api/v1/alerts/history", { params: { query: { studio_id: studioId, limit: HISTORY_PAGE } } }),
        api.GET("/api/v1/accounts", { params: { query: { studio_id: studioId, limit: 500 } } }),
      ]).then(
        ([channels, rules, summaries, history, accounts]) => {
          if (stopped) return;
          if (channels.data && rules.data && summaries.data && history.data && accounts.data) {
            loaded.current = true;
            setData({
              state: "ready",
              value: {
                channels: channels.data.items,
                rules: rules.data.items,
                summary: summaries.data.items[0] ?? null,
                history: history.data.items,
                accounts: accounts.data.items,
              },
            });
          } else if (!loaded.current) setData({ state: "error" });
        },
        () => !stopped && !loaded.current && setData({ state: "error" }),
      );
    load();
    const timer = setInterval(load, 10_000); // the history grows (and deliveries settle) while the page is open
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [attempt, reload, studioId]);

  const changed = () => setReload((n) => n + 1);
  const tz = studio?.timezone ?? "Asia/Jakarta";
  return (
    <main id="main" class="alerts-page">
      <div class="page-head">
        <h1>{t("alerts")}</h1>
        {studioList.length > 1 && (
          <span>
            <label for="alerts-studio">{t("studio")}</label>{" "}
            <select id="alerts-studio" value={studioId} onChange={(e) => setStudioId(e.currentTarget.value)}>
              {studioList.map((s) => (
                <option key={s.studio_id} value={s.studio_id}>
                  {s.name}
                </option>
              ))}
            </select>
          </span>
        )}
      </div>
      <p class="muted">{m("intro", { tz })}</p>
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" && (
        <div class="alerts-layout">
          <div>
            <Channels studioId={studioId} channels={data.value.channels} onChanged={changed} />
            <Rules studioId={studioId} rules={data.value.rules} channels={data.value.channels} accounts={data.value.accounts} onChanged={changed} />
            <DailySummary
              key={studioId}
              studioId={studioId}
              summary={data.value.summary}
              channels={data.value.channels}
              onChanged={changed}
            />
          </div>
          <History key={studioId} studioId={studioId} items={data.value.history} channels={data.value.channels} timezone={tz} />
        </div>
      )}
    </main>
  );
}
