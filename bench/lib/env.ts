/** A setting the bench hands a child process in its environment: present and not empty, or a clear error. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
