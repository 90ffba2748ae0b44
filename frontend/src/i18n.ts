// Indonesian and English: the language defaults from the browser and is switchable (kept in localStorage).
import { useEffect, useState } from "preact/hooks";

export type Lang = "en" | "id";

const en = {
  appName: "Live Studio",
  signIn: "Sign in",
  signOut: "Sign out",
  email: "Email",
  password: "Password",
  signingIn: "Signing in…",
  badCredentials: "Wrong email or password.",
  tooManyTries: "Too many attempts. Try again in {s} s.",
  sessionExpired: "Your sign-in has expired. Please sign in again.",
  networkError: "The server cannot be reached. Check your connection and try again.",
  liveNow: "Live now",
  mySessions: "My sessions",
  onAir: "On air",
  offAir: "Off air",
  viewers: "Viewers",
  gmv: "GMV",
  gmvConfirmed: "GMV confirmed",
  orders: "Orders",
  ordersPlaced: "placed",
  ordersConfirmed: "confirmed",
  updatedAgo: "updated {age} ago",
  stale: "stale: updated {age} ago",
  unknownFreshness: "no data yet",
  unknownValue: "Not reported by Shopee yet",
  loading: "Loading…",
  empty: "No accounts in your studio yet.",
  emptySessions: "No sessions yet.",
  errorLoading: "Could not load the data.",
  retry: "Retry",
  liveConnected: "Live updates on",
  liveReconnecting: "Live updates reconnecting…",
  session: "Session",
  back: "Back to the overview",
  timeline: "Per minute",
  products: "Product ranking",
  product: "Product",
  started: "Started",
  ended: "Ended",
  noSession: "No session",
  peakViewers: "Peak viewers",
  language: "Language",
  accountState: "Polling: {state}",
  pollError: "Last error: {error}",
  rank: "#",
  itemsSold: "Items sold",
  noTimeline: "No per-minute data yet.",
  noProducts: "No product sales yet.",
  signedInAs: "Signed in as {email} ({role})",
  skip: "Skip to content",
  showAllProducts: "Show all {n} products",
  navLabel: "Pages",
  analytics: "Analytics",
  hosts: "Hosts and roster",
  pay: "Pay",
  accounts: "Accounts",
  alerts: "Alerts",
  myPay: "My pay",
  checkIn: "Check-in",
  notFound: "This page does not exist.",
  studio: "Studio",
  saving: "Saving…",
  saved: "Saved.",
  refused: "Refused: {error}",
  cancel: "Cancel",
  confirm: "Confirm",
};
export type Key = keyof typeof en;

const id: Record<Key, string> = {
  appName: "Live Studio",
  signIn: "Masuk",
  signOut: "Keluar",
  email: "Email",
  password: "Kata sandi",
  signingIn: "Sedang masuk…",
  badCredentials: "Email atau kata sandi salah.",
  tooManyTries: "Terlalu banyak percobaan. Coba lagi dalam {s} dtk.",
  sessionExpired: "Sesi masuk Anda berakhir. Silakan masuk lagi.",
  networkError: "Server tidak dapat dihubungi. Periksa koneksi lalu coba lagi.",
  liveNow: "Live sekarang",
  mySessions: "Sesi saya",
  onAir: "Sedang live",
  offAir: "Tidak live",
  viewers: "Penonton",
  gmv: "GMV",
  gmvConfirmed: "GMV terkonfirmasi",
  orders: "Pesanan",
  ordersPlaced: "dibuat",
  ordersConfirmed: "terkonfirmasi",
  updatedAgo: "diperbarui {age} lalu",
  stale: "usang: diperbarui {age} lalu",
  unknownFreshness: "belum ada data",
  unknownValue: "Belum dilaporkan oleh Shopee",
  loading: "Memuat…",
  empty: "Belum ada akun di studio Anda.",
  emptySessions: "Belum ada sesi.",
  errorLoading: "Data tidak dapat dimuat.",
  retry: "Coba lagi",
  liveConnected: "Pembaruan langsung aktif",
  liveReconnecting: "Menyambung ulang pembaruan langsung…",
  session: "Sesi",
  back: "Kembali ke ringkasan",
  timeline: "Per menit",
  products: "Peringkat produk",
  product: "Produk",
  started: "Mulai",
  ended: "Selesai",
  noSession: "Tidak ada sesi",
  peakViewers: "Puncak penonton",
  language: "Bahasa",
  accountState: "Polling: {state}",
  pollError: "Galat terakhir: {error}",
  rank: "#",
  itemsSold: "Barang terjual",
  noTimeline: "Belum ada data per menit.",
  noProducts: "Belum ada penjualan produk.",
  signedInAs: "Masuk sebagai {email} ({role})",
  skip: "Lewati ke konten",
  showAllProducts: "Tampilkan semua {n} produk",
  navLabel: "Halaman",
  analytics: "Analitik",
  hosts: "Host dan jadwal",
  pay: "Gaji",
  accounts: "Akun",
  alerts: "Peringatan",
  myPay: "Gaji saya",
  checkIn: "Check-in",
  notFound: "Halaman ini tidak ada.",
  studio: "Studio",
  saving: "Menyimpan…",
  saved: "Tersimpan.",
  refused: "Ditolak: {error}",
  cancel: "Batal",
  confirm: "Konfirmasi",
};

const dictionaries: Record<Lang, Record<Key, string>> = { en, id };
const listeners = new Set<(lang: Lang) => void>();

function initialLang(): Lang {
  const saved = localStorage.getItem("ls-lang");
  if (saved === "en" || saved === "id") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("id") ? "id" : "en";
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

/** The BCP 47 locale for numbers and dates in the UI language. */
export function uiLocale(): string {
  return current === "id" ? "id-ID" : "en-GB";
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem("ls-lang", next);
  document.documentElement.lang = next;
  listeners.forEach((fn) => fn(next));
}

type Vars = Record<string, string | number>;

function fill(text: string, vars: Vars): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ""));
}

/** A string of the shell (header, navigation, states every page shares). */
export function t(key: Key, vars: Vars = {}): string {
  return fill(dictionaries[current][key], vars);
}

/**
 * A page's own strings, kept next to the page in both languages (the type makes a missing translation a
 * compile error): `const m = messages({ en: { title: "Pay" }, id: { title: "Gaji" } }); m("title")`.
 */
export function messages<K extends string>(dicts: { en: Record<K, string>; id: Record<K, string> }) {
  return (key: K, vars: Vars = {}): string => fill(dicts[current][key], vars);
}

/** Re-renders the calling component when the language changes. */
export function useLang(): Lang {
  const [value, setValue] = useState(current);
  useEffect(() => {
    listeners.add(setValue);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

document.documentElement.lang = current;
