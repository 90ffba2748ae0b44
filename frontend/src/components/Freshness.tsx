// "updated 8 s ago": fresh, stale (older than STALE_AFTER_S) and unknown look different (colour, icon, words).
import { useEffect, useState } from "preact/hooks";
import { age } from "../format";
import { t } from "../i18n";

export const STALE_AFTER_S = 120;

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function Freshness(props: { at: string | null | undefined }) {
  const now = useNow();
  if (!props.at) {
    return (
      <span class="badge unknown" data-freshness="unknown">
        <span aria-hidden="true">?</span> {t("unknownFreshness")}
      </span>
    );
  }
  const seconds = Math.max(0, (now - Date.parse(props.at)) / 1000);
  const stale = seconds > STALE_AFTER_S;
  return (
    <span class={stale ? "badge stale" : "badge fresh"} data-freshness={stale ? "stale" : "fresh"}>
      <span aria-hidden="true">{stale ? "!" : "●"}</span> {t(stale ? "stale" : "updatedAgo", { age: age(seconds) })}
    </span>
  );
}
