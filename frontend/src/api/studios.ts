// The caller's studios (name, currency, timezone), loaded once per page and shared by the pages.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "./client";

export type Studio = Schemas["Studio"];

export function useStudios(): Map<string, Studio> {
  const [studios, setStudios] = useState(new Map<string, Studio>());
  useEffect(() => {
    api.GET("/api/v1/studios").then(({ data }) => {
      if (data) setStudios(new Map(data.items.map((s) => [s.studio_id, s])));
    });
  }, []);
  return studios;
}
