// Accounts: every Shopee account of the caller's studios with its polling health (state, last successful poll,
// last error, freshness), pause / resume, and connecting one: by pasting the browser's cookie (a secret: sent once,
// never shown back, never logged) or by a QR code scanned with the Shopee app (POST /accounts/qr-login, then its
// progress from GET /accounts/qr-login/{login_id} until confirmed or expired). An account whose cookie expired is
// flagged in a banner with a reconnect action that opens the connect form for that account.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { problemText, settle } from "../api/commands";
import { type Studio, useStudios } from "../api/studios";
import { Freshness } from "../components/Freshness";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { dateTime } from "../format";
import { messages, t, useLang } from "../i18n";

type Account = Schemas["Account"];
type QrLogin = Schemas["QrLogin"];
type Region = Schemas["QrLoginBody"]["region"];

const REGIONS: { value: Region; label: string }[] = [
  { value: "co.id", label: "Indonesia (shopee.co.id)" },
  { value: "com.my", label: "Malaysia (shopee.com.my)" },
  { value: "co.th", label: "Thailand (shopee.co.th)" },
  { value: "sg", label: "Singapore (shopee.sg)" },
  { value: "vn", label: "Vietnam (shopee.vn)" },
  { value: "ph", label: "Philippines (shopee.ph)" },
  { value: "com.br", label: "Brasil (shopee.com.br)" },
  { value: "com.mx", label: "México (shopee.com.mx)" },
];

const m = messages({
  en: {
    connect: "Connect an account",
    connectCookie: "Connect by cookie",
    connectQr: "Connect by QR code",
    reconnectTitle: "Reconnect {name}",
    method: "How to sign in",
    methodCookie: "Paste the browser cookie",
    methodQr: "Scan a QR code with the Shopee app",
    name: "Account name (shown in Live Studio)",
    region: "Shopee site",
    studio: "Studio",
    cookie: "Browser cookie",
    cookieHelp:
      "In a browser signed in to Shopee Seller Centre, copy the whole Cookie request header. It is encrypted at once and never shown again.",
    submitCookie: "Connect",
    submitReconnect: "Save the new cookie",
    startQr: "Show the QR code",
    close: "Close",
    connecting: "Connecting…",
    connected: "Connected. The account appears below after its first poll.",
    reconnected: "New sign-in saved. Polling resumes shortly.",
    qrWaiting: "Preparing the QR code…",
    qrScan: "Open the Shopee app, tap the scan icon and scan this code. It is valid for 5 minutes.",
    qrScanned: "Scanned. Confirm the sign-in in the Shopee app.",
    qrConfirmed: "Signed in. The account is connected.",
    qrExpired: "The QR code expired before it was confirmed.",
    qrFailed: "The QR sign-in failed: {error}",
    qrAgain: "New QR code",
    qrAlt: "QR code to scan with the Shopee app",
    expiredBanner: "The Shopee sign-in of {n} accounts expired. Their data is not being read until you reconnect them.",
    expiredBannerOne: "The Shopee sign-in of an account expired. Its data is not being read until you reconnect it.",
    notPolling: "not being read",
    expiredOne: "{name}: sign-in expired",
    reconnect: "Reconnect",
    reconnectNamed: "Reconnect {name}",
    pause: "Pause polling",
    resume: "Resume polling",
    lastPoll: "Last successful poll",
    lastError: "Last error",
    freshness: "Data freshness",
    never: "never",
    noAccounts: "No accounts yet. Connect one with its cookie or a QR code.",
    state_connected: "Connected, first poll pending",
    state_active: "Polling",
    state_paused: "Paused",
    state_credentials_expired: "Sign-in expired",
    state_degraded: "Polling failing",
    state_recovered: "Polling again",
    state_removed: "Removed",
  },
  id: {
    connect: "Hubungkan akun",
    connectCookie: "Hubungkan dengan cookie",
    connectQr: "Hubungkan dengan kode QR",
    reconnectTitle: "Hubungkan ulang {name}",
    method: "Cara masuk",
    methodCookie: "Tempel cookie browser",
    methodQr: "Pindai kode QR dengan aplikasi Shopee",
    name: "Nama akun (tampil di Live Studio)",
    region: "Situs Shopee",
    studio: "Studio",
    cookie: "Cookie browser",
    cookieHelp:
      "Di browser yang sudah masuk ke Shopee Seller Centre, salin seluruh header Cookie. Cookie langsung dienkripsi dan tidak pernah ditampilkan lagi.",
    submitCookie: "Hubungkan",
    submitReconnect: "Simpan cookie baru",
    startQr: "Tampilkan kode QR",
    close: "Tutup",
    connecting: "Menghubungkan…",
    connected: "Terhubung. Akun muncul di bawah setelah polling pertama.",
    reconnected: "Login baru tersimpan. Polling segera berjalan lagi.",
    qrWaiting: "Menyiapkan kode QR…",
    qrScan: "Buka aplikasi Shopee, ketuk ikon pindai, lalu pindai kode ini. Berlaku 5 menit.",
    qrScanned: "Sudah dipindai. Konfirmasi login di aplikasi Shopee.",
    qrConfirmed: "Berhasil masuk. Akun sudah terhubung.",
    qrExpired: "Kode QR kedaluwarsa sebelum dikonfirmasi.",
    qrFailed: "Login QR gagal: {error}",
    qrAgain: "Kode QR baru",
    qrAlt: "Kode QR untuk dipindai dengan aplikasi Shopee",
    expiredBanner: "Login Shopee {n} akun kedaluwarsa. Datanya tidak dibaca sampai Anda menghubungkannya ulang.",
    expiredBannerOne: "Login Shopee satu akun kedaluwarsa. Datanya tidak dibaca sampai Anda menghubungkannya ulang.",
    notPolling: "tidak dibaca",
    expiredOne: "{name}: login kedaluwarsa",
    reconnect: "Hubungkan ulang",
    reconnectNamed: "Hubungkan ulang {name}",
    pause: "Jeda polling",
    resume: "Lanjutkan polling",
    lastPoll: "Polling sukses terakhir",
    lastError: "Galat terakhir",
    freshness: "Kesegaran data",
    never: "belum pernah",
    noAccounts: "Belum ada akun. Hubungkan akun dengan cookie atau kode QR.",
    state_connected: "Terhubung, menunggu polling pertama",
    state_active: "Polling berjalan",
    state_paused: "Dijeda",
    state_credentials_expired: "Login kedaluwarsa",
    state_degraded: "Polling bermasalah",
    state_recovered: "Polling pulih",
    state_removed: "Dihapus",
  },
});

const STATE_TONE: Record<string, string> = {
  active: "ok",
  recovered: "ok",
  degraded: "warn",
  credentials_expired: "bad",
};

function stateLabel(state: string): string {
  const key = `state_${state}` as Parameters<typeof m>[0];
  return state.match(/^(connected|active|paused|credentials_expired|degraded|recovered|removed)$/) ? m(key) : state;
}

function nameOf(a: Account): string {
  return a.display_name ?? a.account_id;
}

/** What the connect panel is for: a new account, or new credentials for an existing one. */
type Target = { mode: "cookie" | "qr"; account: Account | null };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows a QR login until it ends (or the panel closes): its latest row, null while the ingest has not taken it. */
function useQrLogin(loginId: string | null, onConfirmed: () => void): { login: QrLogin | null; error: string | null } {
  const [login, setLogin] = useState<QrLogin | null>(null);
  const [error, setError] = useState<string | null>(null);
  const confirmed = useRef(onConfirmed);
  confirmed.current = onConfirmed;
  useEffect(() => {
    setLogin(null);
    setError(null);
    if (!loginId) return;
    let stopped = false;
    (async () => {
      const deadline = Date.now() + 7 * 60_000; // the ingest expires a code after 5 minutes
      while (!stopped && Date.now() < deadline) {
        const { data, response } = await api.GET("/api/v1/accounts/qr-login/{login_id}", {
          params: { path: { login_id: loginId } },
        });
        if (stopped) return;
        if (data) {
          setLogin(data);
          if (data.state === "confirmed") return confirmed.current();
          if (data.state === "expired" || data.state === "failed") return;
        } else if (response.status !== 404) {
          return setError(await problemText(response));
        }
        await sleep(1000);
      }
    })().catch(() => !stopped && setError(t("networkError")));
    return () => {
      stopped = true;
    };
  }, [loginId]);
  return { login, error };
}

function QrProgress(props: { loginId: string; refused: string | null; onConfirmed: () => void; onAgain: () => void }) {
  const { login, error } = useQrLogin(props.loginId, props.onConfirmed);
  const problem = props.refused ?? error;
  if (problem) return <p class="error" role="alert">{t("refused", { error: problem })}</p>;
  const state = login?.state ?? "waiting";
  const showCode = login?.qrcode_base64 && (state === "new" || state === "scanned");
  return (
    <div class="qr" data-qr-state={state}>
      {showCode && (
        <img class="qr-code" src={`data:image/png;base64,${login!.qrcode_base64}`} alt={m("qrAlt")} width={220} height={220} />
      )}
      <p role="status" class={state === "expired" || state === "failed" ? "error" : state === "confirmed" ? "ok-text" : undefined}>
        {state === "waiting" || (state === "new" && !showCode) ? m("qrWaiting") : null}
        {state === "new" && showCode ? m("qrScan") : null}
        {state === "scanned" ? m("qrScanned") : null}
        {state === "confirmed" ? m("qrConfirmed") : null}
        {state === "expired" ? m("qrExpired") : null}
        {state === "failed" ? m("qrFailed", { error: login?.error ?? "?" }) : null}
      </p>
      {(state === "expired" || state === "failed") && (
        <button type="button" onClick={props.onAgain}>
          {m("qrAgain")}
        </button>
      )}
    </div>
  );
}

function ConnectPanel(props: { target: Target; studios: Studio[]; onClose: () => void; onChanged: () => void }) {
  const existing = props.target.account;
  const [mode, setMode] = useState(props.target.mode);
  const [name, setName] = useState(existing ? nameOf(existing) : "");
  const [region, setRegion] = useState<Region>((existing?.region as Region | null) ?? "co.id");
  const [studioId, setStudioId] = useState(existing?.studio_id ?? props.studios[0]?.studio_id ?? "");
  const [cookie, setCookie] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [loginId, setLoginId] = useState<string | null>(null);
  const [qrRefused, setQrRefused] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [existing?.account_id]);
  useEffect(() => {
    if (!studioId && props.studios[0]) setStudioId(props.studios[0].studio_id);
  }, [props.studios]);

  async function submitCookie(event: Event) {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const sent = existing
        ? await api.PATCH("/api/v1/accounts/{account_id}", {
            params: { path: { account_id: existing.account_id } },
            body: { cookie },
          })
        : await api.POST("/api/v1/accounts", {
            body: { studio_id: studioId, display_name: name.trim(), region, cookie },
          });
      const outcome = await settle(sent.data, sent.response);
      if (outcome.ok) {
        setCookie(""); // the secret leaves the page once it is stored
        setResult({ ok: true, text: existing ? m("reconnected") : m("connected") });
        props.onChanged();
      } else setResult({ ok: false, text: t("refused", { error: outcome.error }) });
    } catch {
      setResult({ ok: false, text: t("networkError") });
    } finally {
      setBusy(false);
    }
  }

  async function startQr(event: Event) {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    setLoginId(null);
    setQrRefused(null);
    try {
      const body = existing
        ? { studio_id: existing.studio_id, display_name: nameOf(existing), region, account_id: existing.account_id }
        : { studio_id: studioId, display_name: name.trim(), region };
      const { data, response } = await api.POST("/api/v1/accounts/qr-login", { body });
      if (!data?.login_id) {
        setResult({ ok: false, text: t("refused", { error: await problemText(response) }) });
        return;
      }
      setLoginId(data.login_id);
      // The command may still be refused by the ingest (e.g. a name taken): then the login never appears.
      settle(data, response, 60_000).then((outcome) => {
        if (!outcome.ok && outcome.error !== "timeout") setQrRefused(outcome.error);
      });
    } catch {
      setResult({ ok: false, text: t("networkError") });
    } finally {
      setBusy(false);
    }
  }

  const locked = loginId !== null; // a QR login runs with the name and site it started with
  const title = existing ? m("reconnectTitle", { name: nameOf(existing) }) : m("connect");
  return (
    <section class="card connect" aria-labelledby="connect-title" data-testid="connect-panel">
      <header>
        <h2 id="connect-title" tabIndex={-1} ref={heading}>
          {title}
        </h2>
        <button type="button" class="secondary close" onClick={props.onClose}>
          {m("close")}
        </button>
      </header>
      <fieldset class="methods">
        <legend>{m("method")}</legend>
        <label class="check">
          <input type="radio" name="method" checked={mode === "cookie"} disabled={locked} onChange={() => setMode("cookie")} />{" "}
          {m("methodCookie")}
        </label>
        <label class="check">
          <input type="radio" name="method" checked={mode === "qr"} disabled={locked} onChange={() => setMode("qr")} /> {m("methodQr")}
        </label>
      </fieldset>
      <form class="form" onSubmit={mode === "cookie" ? submitCookie : startQr}>
        {!existing && (
          <>
            {props.studios.length > 1 && (
              <>
                <label for="connect-studio">{m("studio")}</label>
                <select id="connect-studio" disabled={locked} value={studioId} onChange={(e) => setStudioId(e.currentTarget.value)}>
                  {props.studios.map((s) => (
                    <option key={s.studio_id} value={s.studio_id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </>
            )}
            <label for="connect-name">{m("name")}</label>
            <input id="connect-name" disabled={locked} required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            <label for="connect-region">{m("region")}</label>
            <select id="connect-region" disabled={locked} value={region} onChange={(e) => setRegion(e.currentTarget.value as Region)}>
              {REGIONS.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </>
        )}
        {mode === "cookie" && (
          <>
            <label for="connect-cookie">{m("cookie")}</label>
            <input
              id="connect-cookie"
              type="password"
              required
              minLength={3}
              maxLength={16384}
              autocomplete="off"
              spellcheck={false}
              aria-describedby="connect-cookie-help"
              value={cookie}
              onInput={(e) => setCookie(e.currentTarget.value)}
            />
            <p id="connect-cookie-help" class="muted small">
              {m("cookieHelp")}
            </p>
            <button type="submit" disabled={busy}>
              {busy ? m("connecting") : existing ? m("submitReconnect") : m("submitCookie")}
            </button>
          </>
        )}
        {mode === "qr" && !loginId && (
          <button type="submit" disabled={busy}>
            {busy ? m("connecting") : m("startQr")}
          </button>
        )}
      </form>
      {mode === "qr" && loginId && (
        <QrProgress
          loginId={loginId}
          refused={qrRefused}
          onConfirmed={props.onChanged}
          onAgain={() => startQr(new Event("submit"))}
        />
      )}
      {result && (
        <p class={result.ok ? "ok-text" : "error"} role={result.ok ? "status" : "alert"}>
          {result.text}
        </p>
      )}
    </section>
  );
}

function AccountCard(props: {
  account: Account;
  studio: Studio | undefined;
  showStudio: boolean;
  onReconnect: () => void;
  onChanged: () => void;
}) {
  const a = props.account;
  const tz = props.studio?.timezone ?? "Asia/Jakarta";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paused = a.state === "paused";
  const expired = a.state === "credentials_expired";

  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      const path = { params: { path: { account_id: a.account_id } } };
      const sent = paused
        ? await api.POST("/api/v1/accounts/{account_id}/resume", path)
        : await api.POST("/api/v1/accounts/{account_id}/pause", path);
      const outcome = await settle(sent.data, sent.response);
      if (outcome.ok) props.onChanged();
      else setError(t("refused", { error: outcome.error }));
    } catch {
      setError(t("networkError"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class={expired ? "card account expired" : "card account"} data-account={a.account_id} data-state={a.state}>
      <header>
        <h2>{nameOf(a)}</h2>
        <span class={`pill ${STATE_TONE[a.state] ?? ""}`} data-testid="state">
          {stateLabel(a.state)}
        </span>
      </header>
      <p class="muted small">
        {a.account_id}
        {props.showStudio && props.studio ? ` · ${props.studio.name}` : ""}
        {a.region ? ` · shopee.${a.region}` : ""}
      </p>
      <dl class="health">
        <div>
          <dt>{m("lastPoll")}</dt>
          <dd data-testid="last-poll">{a.last_successful_poll_at ? dateTime(a.last_successful_poll_at, tz) : m("never")}</dd>
        </div>
        <div>
          <dt>{m("freshness")}</dt>
          <dd>
            {paused || expired ? (
              <span class="badge stale" data-freshness="not-polling">
                <span aria-hidden="true">!</span> {m("notPolling")}
              </span>
            ) : (
              <Freshness at={a.last_successful_poll_at} />
            )}
          </dd>
        </div>
        {a.last_error && (
          <div class="wide">
            <dt>{m("lastError")}</dt>
            <dd class="error-text" data-testid="last-error">
              {a.last_error}
            </dd>
          </div>
        )}
      </dl>
      <div class="actions">
        {expired && (
          <button type="button" onClick={props.onReconnect}>
            {m("reconnect")}
            <span class="sr-only"> {nameOf(a)}</span>
          </button>
        )}
        {a.state !== "removed" && (
          <button type="button" class="secondary" disabled={busy} onClick={toggle}>
            {busy ? t("saving") : paused ? m("resume") : m("pause")}
            <span class="sr-only"> {nameOf(a)}</span>
          </button>
        )}
      </div>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}

export function AccountsPage() {
  useLang();
  const studios = useStudios();
  const [accounts, setAccounts] = useState<Load<Account[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [reload, setReload] = useState(0);
  const [target, setTarget] = useState<Target | null>(null);
  const loaded = useRef(false);

  useEffect(() => {
    loaded.current = false;
    setAccounts({ state: "loading" });
  }, [attempt]);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api.GET("/api/v1/accounts", { params: { query: { limit: 500 } } }).then(
        ({ data }) => {
          if (stopped) return;
          if (data) {
            loaded.current = true;
            setAccounts({ state: "ready", value: data.items });
          } else if (!loaded.current) setAccounts({ state: "error" });
        },
        () => !stopped && !loaded.current && setAccounts({ state: "error" }),
      );
    load();
    const timer = setInterval(load, 5_000); // health changes (and a newly connected account) show within seconds
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [attempt, reload]);

  const studioList = [...studios.values()];
  const list = accounts.state === "ready" ? accounts.value : [];
  const expired = list.filter((a) => a.state === "credentials_expired");
  const open = (next: Target) => {
    setTarget(next);
    window.scrollTo({ top: 0 });
  };

  return (
    <main id="main" class="accounts-page">
      <div class="page-head">
        <h1>{t("accounts")}</h1>
        <div class="actions">
          <button type="button" onClick={() => open({ mode: "cookie", account: null })}>
            {m("connectCookie")}
          </button>
          <button type="button" onClick={() => open({ mode: "qr", account: null })}>
            {m("connectQr")}
          </button>
        </div>
      </div>
      {expired.length > 0 && (
        <div class="banner" role="alert" data-testid="expired-banner">
          <p>
            <strong>{expired.length === 1 ? m("expiredBannerOne") : m("expiredBanner", { n: expired.length })}</strong>
          </p>
          <ul>
            {expired.map((a) => (
              <li key={a.account_id}>
                <span>{m("expiredOne", { name: nameOf(a) })}</span>{" "}
                <button type="button" onClick={() => open({ mode: "cookie", account: a })}>
                  {m("reconnectNamed", { name: nameOf(a) })}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {target && (
        <ConnectPanel
          key={`${target.account?.account_id ?? "new"}:${target.mode}`}
          target={target}
          studios={studioList}
          onClose={() => setTarget(null)}
          onChanged={() => setReload((n) => n + 1)}
        />
      )}
      {accounts.state === "loading" && <Loading />}
      {accounts.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {accounts.state === "ready" && list.length === 0 && <Empty text={m("noAccounts")} />}
      {accounts.state === "ready" && list.length > 0 && (
        <div class="grid">
          {[...list]
            .sort((a, b) => Number(b.state === "credentials_expired") - Number(a.state === "credentials_expired"))
            .map((a) => (
              <AccountCard
                key={a.account_id}
                account={a}
                studio={studios.get(a.studio_id)}
                showStudio={studios.size > 1}
                onReconnect={() => open({ mode: "cookie", account: a })}
                onChanged={() => setReload((n) => n + 1)}
              />
            ))}
        </div>
      )}
    </main>
  );
}
