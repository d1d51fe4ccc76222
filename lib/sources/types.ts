/** A collection an organisation may export (`export_sources`), as the API and the form see it. */
export type ExportSource = {
  id: string;
  organisation_id: string;
  collection: string;
  label: string;
  key_field: string;
  mandatory_filter: string | null;
};
