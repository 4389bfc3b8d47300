// A second test reporter: at the very end of the run, list every failed test with its file and error,
// so the last lines of a long CI log say what broke (the TAP stream above has the full detail).
export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    const error = details?.error;
    // Suites fail when a child fails: report only the leaves, which carry the real error.
    if (error?.failureType === 'subtestsFailed') continue;
    const cause = error?.cause ?? error;
    const message = String(cause?.message ?? cause ?? 'failed')
      .split('\n')
      .slice(0, 6)
      .join('\n    ');
    failures.push(`- ${file ?? '?'}\n  ${name}\n    ${message}`);
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed test(s):\n${failures.join('\n')}\n`;
}
