import { z } from 'zod';
import { createDocument, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { apiTokenScopes, type ApiTokenScope } from './api-token-scopes';
import { problemSchema, problemTitle } from './problem-response';
import {
  createExportBody,
  downloadParams,
  exportEventList,
  exportIdParams,
  exportPage,
  exportResource,
  idempotencyHeaders,
  listExportsParams,
  retryExportBody,
  retryResult,
} from './schemas';

/**
 * The OpenAPI 3.1 document of the REST API v1, generated from the zod schemas the routes validate with.
 * tests/integration/... and lib/api-v1/openapi-document.test.ts check that every route under
 * app/api/v1 and pages/api/v1 is in it and that it is a valid OpenAPI document.
 */

const EVERY_CALL = [401, 403, 429] as const;

function problems(...statuses: number[]): ZodOpenApiResponsesObject {
  const codes: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthenticated',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    415: 'unsupported_media_type',
    416: 'range_not_satisfiable',
    422: 'validation_failed',
    429: 'too_many_requests',
    502: 'upstream_damaged',
    503: 'upstream_unavailable',
  };
  return Object.fromEntries(
    [...EVERY_CALL, ...statuses].map((status) => [
      String(status),
      {
        description: problemTitle(codes[status] ?? 'internal'),
        ...(status === 429
          ? {
              headers: z.object({
                'Retry-After': z.number().int().meta({ description: 'Seconds to wait before sending again.' }),
              }),
            }
          : {}),
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  );
}

function json(description: string, schema: z.ZodType) {
  return { description, content: { 'application/json': { schema } } };
}

const scope = (needed: ApiTokenScope) => ({ security: [{ apiToken: [needed] }], 'x-scope': needed });

const file = z.string().meta({ description: 'The export file (CSV, NDJSON, or its gzip form).' });
const fileHeaders = z.object({
  ETag: z.string().meta({ description: 'Changes whenever the bytes may have; send it as If-Range to resume.' }),
  'Content-Length': z.number().int().meta({ description: 'The exact size of what is sent.' }),
  'Accept-Ranges': z.literal('bytes'),
});
const fileContent = {
  'text/csv': { schema: file },
  'application/x-ndjson': { schema: file },
  'application/gzip': { schema: file },
};
const rangeHeaders = z.object({
  range: z.string().optional().meta({ description: 'A byte range to resume with, e.g. `bytes=1048576-`.' }),
  'if-range': z
    .string()
    .optional()
    .meta({ description: 'The ETag of the part you hold: a stale one gets the whole file.' }),
});

export function openApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Baton REST API',
      version: '1.0.0',
      description:
        'Start, follow, cancel, retry and download exports from scripts and pipelines. Authenticate with an ' +
        'organisation API token (`Authorization: Bearer baton_pat_…`; admins create them under Settings → API tokens). ' +
        'Every error is `application/problem+json` (RFC 9457) with a `detail` that says what to do.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          description: `An organisation API token (baton_pat_…) with the scopes ${apiTokenScopes.join(', ')}.`,
        },
      },
    },
    paths: {
      '/api/v1/exports': {
        post: {
          operationId: 'createExport',
          summary: 'Start an export',
          ...scope('exports:write'),
          requestParams: { header: idempotencyHeaders },
          requestBody: { required: true, content: { 'application/json': { schema: createExportBody } } },
          responses: {
            '201': json('The export, queued.', exportResource),
            '200': json(
              'The export an earlier request with the same Idempotency-Key and body created.',
              exportResource,
            ),
            ...problems(404, 409, 415, 422),
          },
        },
        get: {
          operationId: 'listExports',
          summary: 'List exports, newest first',
          ...scope('exports:read'),
          requestParams: { query: listExportsParams },
          responses: { '200': json('A page of exports.', exportPage), ...problems(400, 422) },
        },
      },
      '/api/v1/exports/{id}': {
        get: {
          operationId: 'getExport',
          summary: 'Get an export',
          ...scope('exports:read'),
          requestParams: { path: exportIdParams },
          responses: { '200': json('The export.', exportResource), ...problems(404, 422) },
        },
      },
      '/api/v1/exports/{id}/cancel': {
        post: {
          operationId: 'cancelExport',
          summary: 'Cancel an export',
          ...scope('exports:write'),
          requestParams: { path: exportIdParams },
          responses: {
            '200': json('Cancelled.', exportResource),
            '202': json('A worker stops at its next shard; the status follows.', exportResource),
            ...problems(404, 409, 422),
          },
        },
      },
      '/api/v1/exports/{id}/retry': {
        post: {
          operationId: 'retryExport',
          summary: 'Re-run only what is missing or damaged',
          ...scope('exports:write'),
          requestParams: { path: exportIdParams },
          requestBody: { required: true, content: { 'application/json': { schema: retryExportBody } } },
          responses: {
            '200': json('The plan (dryRun).', retryResult),
            '202': json('The re-run is queued.', retryResult),
            ...problems(404, 409, 415, 422),
          },
        },
      },
      '/api/v1/exports/{id}/events': {
        get: {
          operationId: 'listExportEvents',
          summary: "An export's timeline",
          ...scope('exports:read'),
          requestParams: { path: exportIdParams },
          responses: { '200': json('Events, oldest first.', exportEventList), ...problems(404, 422) },
        },
      },
      '/api/v1/exports/{id}/download': {
        get: {
          operationId: 'downloadExport',
          summary: 'Download the file (ranges, ETag and If-Range to resume)',
          ...scope('downloads'),
          requestParams: { path: exportIdParams, query: downloadParams, header: rangeHeaders },
          responses: {
            '200': { description: 'The whole file.', headers: fileHeaders, content: fileContent },
            '206': { description: 'The range asked for.', headers: fileHeaders, content: fileContent },
            ...problems(404, 409, 416, 422, 502, 503),
          },
        },
        head: {
          operationId: 'headExport',
          summary: 'Size and ETag of the file, without the file',
          ...scope('downloads'),
          requestParams: { path: exportIdParams, query: downloadParams },
          responses: { '200': { description: 'Headers only.', headers: fileHeaders }, ...problems(404, 409, 422) },
        },
      },
      '/api/v1/openapi.json': {
        get: {
          operationId: 'openApiDocument',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } } },
        },
      },
    },
  });
}
