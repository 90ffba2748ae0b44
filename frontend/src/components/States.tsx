// The states every page shows the same way: loading, empty, and an error with a retry.
import { t } from "../i18n";

export type Load<T> = { state: "loading" } | { state: "error" } | { state: "ready"; value: T };

export function Loading() {
  return <p class="state" role="status">{t("loading")}</p>;
}

export function Empty(props: { text: string }) {
  return <p class="state">{props.text}</p>;
}

export function ErrorState(props: { onRetry: () => void }) {
  return (
    <div class="state error" role="alert">
      <p>{t("errorLoading")}</p>
      <button type="button" onClick={props.onRetry}>
        {t("retry")}
      </button>
    </div>
  );
}
