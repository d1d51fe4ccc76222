import { openApiDocument } from '@/lib/api-v1/openapi-document';

/** Public: the document describes the API; it holds no organisation's data. */
export const dynamic = 'force-static';

export function GET() {
  return Response.json(openApiDocument());
}
