import { inject } from 'vitest';

/** What the integration global setup tells every test file about the running devstack. */
export type TestStack = {
  apiUrl: string;
  typesenseUrl: string;
  typesenseApiKey: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  pgConnectionString: string;
  dataDir: string;
};

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

export function testStack(): TestStack {
  return inject('stack');
}
