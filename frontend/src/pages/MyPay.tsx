// A host's own pay: their monthly target with progress and pace (MyTargets.tsx), then their statements and lines
// (the API scopes every read and CSV file to the host), read only.
import { t, useLang } from "../i18n";
import { MyTargets } from "./MyTargets";
import { Statements } from "./Statements";

export function MyPayPage() {
  useLang();
  return (
    <Statements title={t("myPay")} manage={false}>
      <MyTargets />
    </Statements>
  );
}
