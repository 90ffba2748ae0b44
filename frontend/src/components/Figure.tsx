// One figure with its label; an unknown value shows "—" with the reason in a tooltip and for screen readers.
import { t } from "../i18n";

export function Figure(props: { label: string; value: string; unknown?: boolean; big?: boolean; testid?: string }) {
  return (
    <div class={props.big ? "figure big" : "figure"}>
      <dt>{props.label}</dt>
      <dd data-testid={props.testid} title={props.unknown ? t("unknownValue") : undefined}>
        {props.value}
        {props.unknown && <span class="sr-only"> ({t("unknownValue")})</span>}
      </dd>
    </div>
  );
}
