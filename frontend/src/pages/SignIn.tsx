// Sign in with email and password (POST /api/v1/auth/signin); what was typed stays when it fails. "Forgot your
// password?" asks for a reset link by mail (POST /api/v1/auth/password-reset, always accepted).
import { useState } from "preact/hooks";
import { api, signIn } from "../api/client";
import { messages, t } from "../i18n";

const m = messages({
  en: {
    forgot: "Forgot your password?",
    sendLink: "Mail me a reset link",
    linkSent: "If {email} has an account, a reset link is on its way. It works once, for a short time.",
    back: "Back to sign-in",
    enterEmail: "Enter your email first.",
  },
  id: {
    forgot: "Lupa kata sandi?",
    sendLink: "Kirim tautan atur ulang",
    linkSent: "Jika {email} memiliki akun, tautan atur ulang sedang dikirim. Tautan hanya berlaku sekali, untuk waktu singkat.",
    back: "Kembali ke halaman masuk",
    enterEmail: "Isi email Anda terlebih dahulu.",
  },
});

export function SignIn(props: { expired: boolean; onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resetting, setResetting] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const shown = error ?? (props.expired ? t("sessionExpired") : null);

  async function requestReset() {
    const address = email.trim();
    if (!address) return setError(m("enterEmail"));
    setBusy(true);
    setError(null);
    try {
      const { response } = await api.POST("/api/v1/auth/password-reset", { body: { email: address } });
      if (response.status === 429) setError(t("tooManyTries", { s: response.headers.get("Retry-After") ?? 1 }));
      else if (!response.ok) setError(t("errorLoading"));
      else setSent(address);
    } catch {
      setError(t("networkError"));
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (resetting) return requestReset();
    setBusy(true);
    setError(null);
    try {
      const result = await signIn(email.trim(), password);
      if (result.ok) return props.onDone();
      if (result.status === 429) setError(t("tooManyTries", { s: result.retryAfter ?? 1 }));
      else if (result.status === 401 || result.status === 400) setError(t("badCredentials"));
      else setError(t("errorLoading"));
    } catch {
      setError(t("networkError"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card" aria-describedby={shown ? "signin-error" : undefined}>
        <h1>{t("signIn")}</h1>
        <label for="email">{t("email")}</label>
        <input
          id="email"
          type="email"
          autocomplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        {!resetting && (
          <>
            <label for="password">{t("password")}</label>
            <input
              id="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </>
        )}
        {shown && (
          <p id="signin-error" class="error" role="alert">
            {shown}
          </p>
        )}
        {sent && resetting && (
          <p class="ok" role="status">
            {m("linkSent", { email: sent })}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {resetting ? m("sendLink") : busy ? t("signingIn") : t("signIn")}
        </button>
        <button
          type="button"
          class="text"
          onClick={() => {
            setResetting(!resetting);
            setSent(null);
            setError(null);
          }}
        >
          {resetting ? m("back") : m("forgot")}
        </button>
      </form>
    </main>
  );
}
