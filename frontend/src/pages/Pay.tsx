// Pay (owners and managers): the studio's statements per period and status, their lines, approve -> pay and void
// (each confirmed first, each a command followed until applied or refused), CSV of the list and of the lines.
import { t, useLang } from "../i18n";
import { Statements } from "./Statements";

export function PayPage() {
  useLang();
  return <Statements title={t("pay")} manage />;
}
