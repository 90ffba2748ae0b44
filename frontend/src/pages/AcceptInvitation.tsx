// Accepting an invitation from its mailed link (/accept-invitation#token=…): choose a name and a password, accept
// (POST /api/v1/auth/invitations/accept answers the new account), then sign in with it and open the dashboard.
import { useState } from "preact/hooks";
import { api, signIn } from "../api/client";
import { problemText } from "../api/commands";
import { navigate } from "../router";
import { messages, t, useLang } from "../i18n";
import { MIN_PASSWORD, takeLinkToken } from "./linkToken";

const m = messages({
  en: {
    title: "Join your studio",
    intro: "Choose a password for your Live Studio account.",
    name: "Your name (optional)",
    newPassword: "New password",
    passwordHint: "At least {n} characters.",
    repeat: "Repeat the password",
    mismatch: "The two passwords differ.",
    accept: "Accept and sign in",
    accepting: "Creating your account…",
    badLink: "This invitation link is unknown, used, revoked or expired. Ask the studio's owner for a new one.",
    noToken: "This page needs the link from your invitation mail.",
    exists: "This email already has an account: sign in, or reset the password.",
    signInFailed: "Your account was created; sign in with it.",
    goSignIn: "Go to sign-in",
  },
  id: {
    title: "Bergabung dengan studio",
    intro: "Buat kata sandi untuk akun Live Studio Anda.",
    name: "Nama Anda (opsional)",
    newPassword: "Kata sandi baru",
    passwordHint: "Minimal {n} karakter.",
    repeat: "Ulangi kata sandi",
    mismatch: "Kedua kata sandi berbeda.",
    accept: "Terima dan masuk",
    accepting: "Membuat akun Anda…",
    badLink: "Tautan undangan ini tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa. Minta yang baru kepada pemilik studio.",
    noToken: "Halaman ini memerlukan tautan dari email undangan Anda.",
    exists: "Email ini sudah memiliki akun: masuk, atau atur ulang kata sandi.",
    signInFailed: "Akun Anda sudah dibuat; silakan masuk.",
    goSignIn: "Ke halaman masuk",
  },
});

export function AcceptInvitationPage() {
  useLang();
  const [token] = useState(takeLinkToken);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (password !== repeat) return setError(m("mismatch"));
    setBusy(true);
    setError(null);
    try {
      const { data, response } = await api.POST("/api/v1/auth/invitations/accept", {
        body: { token, password, name: name.trim() },
      });
      if (!data) {
        const detail = await problemText(response);
        if (response.status === 409) setError(m("exists"));
        else if (response.status === 400 && detail.includes("invitation")) setError(m("badLink"));
        else if (response.status === 429) setError(t("tooManyTries", { s: response.headers.get("Retry-After") ?? 1 }));
        else setError(detail);
        return;
      }
      const signedIn = await signIn(data.email, password);
      if (!signedIn.ok) return setError(m("signInFailed"));
      navigate("/", true);
    } catch {
      setError(t("networkError"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card" aria-describedby={error ? "accept-error" : "accept-intro"}>
        <h1>{m("title")}</h1>
        {!token ? (
          <p class="error" role="alert">{m("noToken")}</p>
        ) : (
          <>
            <p id="accept-intro" class="muted">{m("intro")}</p>
            <label for="name">{m("name")}</label>
            <input id="name" autocomplete="name" maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
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
              <p id="accept-error" class="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {busy ? m("accepting") : m("accept")}
            </button>
          </>
        )}
        <a href="/" class="small">{m("goSignIn")}</a>
      </form>
    </main>
  );
}
