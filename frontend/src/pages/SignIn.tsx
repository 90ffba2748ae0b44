// Sign in with email and password (POST /api/v1/auth/signin); what was typed stays when it fails.
import { useState } from "preact/hooks";
import { signIn } from "../api/client";
import { t } from "../i18n";

export function SignIn(props: { expired: boolean; onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = error ?? (props.expired ? t("sessionExpired") : null);

  async function submit(event: Event) {
    event.preventDefault();
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
        <label for="password">{t("password")}</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {shown && (
          <p id="signin-error" class="error" role="alert">
            {shown}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
    </main>
  );
}
