// The one-time token of a mailed link (`/accept-invitation#token=…`, `/reset-password#token=…`): read from the
// fragment (which browsers never send to the server), then removed from the address bar and the history.
/** The gateway's default `GATEWAY_PASSWORD_MIN_LENGTH` (the server checks it; a longer setting shows its own text). */
export const MIN_PASSWORD = 10;

let taken = "";

export function takeLinkToken(): string {
  const found = new URLSearchParams(location.hash.slice(1)).get("token");
  if (found !== null) {
    taken = found;
    history.replaceState(history.state, "", location.pathname + location.search);
  }
  return taken;
}
