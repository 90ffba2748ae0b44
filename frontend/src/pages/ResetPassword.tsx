// A new password from a reset mail's link (/reset-password#token=…): POST /api/v1/auth/password-reset/confirm
// (every session of the account ends), then sign in with it.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { problemText } from "../api/commands";
import { messages, t, useLang } from "../i18n";
import { MIN_PASSWORD, takeLinkToken } from "./linkToken";

const m = messages({
  en: {
    title: "Choose a new password",
    newPassword: "New password",
    passwordHint: "At least {n} characters. Every device signed in to your account is signed out.",
    repeat: "Repeat the password",
    mismatch: "The two passwords differ.",
    save: "Save the new password",
    done: "Your password is changed. Sign in with the new one.",
    badLink: "This reset link is unknown, used or expired. Ask for a new one on the sign-in page.",
    noToken: "This page needs the link from your password reset mail.",
    goSignIn: "Go to sign-in",
  },
  id: {
    title: "Buat kata sandi baru",
    newPassword: "Kata sandi baru",
    passwordHint: "Minimal {n} karakter. Semua perangkat yang masuk ke akun Anda akan dikeluarkan.",
    repeat: "Ulangi kata sandi",
    mismatch: "Kedua kata sandi berbeda.",
    save: "Simpan kata sandi baru",
    done: "Kata sandi Anda sudah diganti. Masuk dengan kata sandi baru.",
    badLink: "Tautan ini tidak dikenal, sudah dipakai, atau kedaluwarsa. Minta yang baru di halaman masuk.",
    noToken: "Halaman ini memerlukan tautan dari email atur ulang kata sandi Anda.",
    goSignIn: "Ke halaman masuk",
  },
});

export function ResetPasswordPage() {
  useLang();
  const [token] = useState(takeLinkToken);
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (password !== repeat) return setError(m("mismatch"));
    setBusy(true);
    setError(null);
    try {
      const { response } = await api.POST("/api/v1/auth/password-reset/confirm", { body: { token, password } });
      if (response.ok) return setDone(true);
      const detail = await problemText(response);
      if (response.status === 400 && detail.includes("link")) setError(m("badLink"));
      else if (response.status === 429) setError(t("tooManyTries", { s: response.headers.get("Retry-After") ?? 1 }));
      else setError(detail);
    } catch {
      setError(t("networkError"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card" aria-describedby={error ? "reset-error" : undefined}>
        <h1>{m("title")}</h1>
        {done ? (
          <p class="ok" role="status">{m("done")}</p>
        ) : !token ? (
          <p class="error" role="alert">{m("noToken")}</p>
        ) : (
          <>
            <label for="new-password">{m("newPassword")}</label>
            <input
              id="new-password"
              type="password"
              autocomplete="new-password"
              required
              minLength={MIN_PASSWORD}
              aria-describedby="password-hint"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            <span id="password-hint" class="small muted">{m("passwordHint", { n: MIN_PASSWORD })}</span>
            <label for="repeat-password">{m("repeat")}</label>
            <input
              id="repeat-password"
              type="password"
              autocomplete="new-password"
              required
              value={repeat}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
            {error && (
              <p id="reset-error" class="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {busy ? t("saving") : m("save")}
            </button>
          </>
        )}
        <a href="/" class="small">{m("goSignIn")}</a>
      </form>
    </main>
  );
}
