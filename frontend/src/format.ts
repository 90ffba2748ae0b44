// Figures as people read them: money in the studio's currency and locale, times in the studio's timezone,
// unknown (null) never shown as zero.
import { uiLocale } from "./i18n";

export const UNKNOWN = "—";

const CURRENCY_LOCALE: Record<string, string> = {
  IDR: "id-ID",
  MYR: "ms-MY",
  PHP: "en-PH",
  THB: "th-TH",
  VND: "vi-VN",
  SGD: "en-SG",
  TWD: "zh-TW",
  BRL: "pt-BR",
};
const WHOLE_UNITS = new Set(["IDR", "VND", "TWD"]);
const moneyFormats = new Map<string, Intl.NumberFormat>();

/** `Rp 1.234.567` for ("1234567.00", "IDR"); "—" for null. The exact decimal string is formatted as is. */
export function money(value: string | null | undefined, currency: string): string {
  if (value === null || value === undefined) return UNKNOWN;
  let format = moneyFormats.get(currency);
  if (!format) {
    const digits = WHOLE_UNITS.has(currency) ? 0 : 2;
    format = new Intl.NumberFormat(CURRENCY_LOCALE[currency] ?? uiLocale(), {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormats.set(currency, format);
  }
  // Intl formats a decimal string exactly (no float rounding on large amounts).
  return format.format(value as unknown as number);
}

/** Intl formatters are costly to build: one per (kind, locale, options), kept. */
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${uiLocale()}|${JSON.stringify(options)}`;
  let found = cache.get(key) as Intl.NumberFormat | undefined;
  if (!found) cache.set(key, (found = new Intl.NumberFormat(uiLocale(), options)));
  return found;
}
function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${uiLocale()}|${JSON.stringify(options)}`;
  let found = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!found) cache.set(key, (found = new Intl.DateTimeFormat(uiLocale(), options)));
  return found;
}

/** A money axis label: `Rp 20 jt` (compact, in the currency's locale). */
export function moneyCompact(value: number, currency: string): string {
  const key = `c|${currency}`;
  let found = cache.get(key) as Intl.NumberFormat | undefined;
  if (!found) {
    found = new Intl.NumberFormat(CURRENCY_LOCALE[currency] ?? uiLocale(), {
      style: "currency",
      currency,
      notation: "compact",
    });
    cache.set(key, found);
  }
  return found.format(value);
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? UNKNOWN : numberFormat({}).format(value);
}

export function clock(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return UNKNOWN;
  return dateFormat({ timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function dateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return UNKNOWN;
  return dateFormat({ timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(
    new Date(iso),
  );
}

/** "8 s", "3 min", "2 h" */
export function age(seconds: number): string {
  const unit = (n: number, u: Intl.RelativeTimeFormatUnit) =>
    numberFormat({ style: "unit", unit: u, unitDisplay: "narrow" }).format(n);
  if (seconds < 60) return unit(Math.max(0, Math.round(seconds)), "second");
  if (seconds < 3600) return unit(Math.round(seconds / 60), "minute");
  if (seconds < 48 * 3600) return unit(Math.round(seconds / 3600), "hour");
  return unit(Math.round(seconds / 86400), "day");
}
