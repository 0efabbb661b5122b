// Type-checked against types that openapi-typescript generates from the live schema
// (tests/clients/test_typescript_client.py writes them to ./schema.d.ts beside a copy).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Report = components["schemas"]["ReportOutput"];

const client = createClient<paths>({
  baseUrl: "https://reunite.example.org",
  headers: { Authorization: "Token rk_example" },
});

// The partner quick start: file a report with a photo, read its state, list reports.
export async function fileReport(photo: Blob): Promise<Report | undefined> {
  const { data } = await client.POST("/api/v1/found-reports/", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: {
      external_ref: "HS-2025-0042",
      found_on: "2025-06-01",
      found_place: "Riverside shelter",
      estimated_age_min: 7,
      estimated_age_max: 11,
      photos: [photo], // binary fields are Blobs (generate.mjs)
    },
    // The operation declares only multipart/form-data: send a form.
    bodySerializer(body) {
      const form = new FormData();
      for (const [name, value] of Object.entries(body)) {
        for (const item of Array.isArray(value) ? value : [value]) {
          const part: unknown = item;
          form.append(name, part instanceof Blob ? part : String(part));
        }
      }
      return form;
    },
  });
  return data;
}

export async function reportState(id: number): Promise<string | undefined> {
  const { data } = await client.GET("/api/v1/found-reports/{report_id}/", {
    params: { path: { report_id: id } },
  });
  // Fields always sent are required: no "undefined" to check.
  const photoStates: string[] | undefined = data?.photos.map((p) => p.status);
  return photoStates && data?.processing_state;
}

// Enums in answers are open: a value v1 adds later is still a valid answer.
type PhotoStatus = components["schemas"]["PhotoOutput"]["status"];
type OutcomeState = components["schemas"]["OutcomeOutput"]["state"];
export const added: [PhotoStatus, OutcomeState, Report["processing_state"]] = [
  "quarantined",
  "transferred_to_another_agency",
  "waiting_for_consent",
];
export const known: components["schemas"]["PhotoOutputStatusEnum"] = "ready";

export async function reportsList(): Promise<Report[]> {
  const { data } = await client.GET("/api/v1/found-reports/");
  return data ?? [];
}

// A paginated list is typed as a page: count, next, previous and results.
export async function candidatesWaiting(): Promise<number> {
  const { data } = await client.GET("/api/v1/review/candidates/", {
    params: { query: { page: 1 } },
  });
  return (data?.count ?? 0) + (data?.results.length ?? 0) * 0;
}

// The types are real: a report without its required fields does not compile, and neither
// does a string where a photo goes, nor an unknown value where Reunite takes a closed enum.
export async function missingFields(): Promise<void> {
  await client.POST("/api/v1/found-reports/", {
    // @ts-expect-error found_on, found_place and the ages are required
    body: { external_ref: "x" },
  });
}
// @ts-expect-error a photo is a Blob, not a string
export const notAPhoto: components["schemas"]["ReportInputRequest"]["photos"] = ["child.jpg"];
// @ts-expect-error requests take only the known values
export const notASex: components["schemas"]["ReportInputRequest"]["sex"] = "unknown-sex";
