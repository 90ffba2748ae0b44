// A host's own pay: their statements and lines (the API scopes every read and CSV file to the host), read only.
import { t, useLang } from "../i18n";
import { Statements } from "./Statements";

export function MyPayPage() {
  useLang();
  return <Statements title={t("myPay")} manage={false} />;
}
