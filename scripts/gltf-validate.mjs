// Validates glTF/GLB files with the Khronos glTF validator; prints one JSON line per file:
// {"path", "errors", "warnings", "messages": [first 10 issues]}. Exit 1 if any has errors.
import { readFile } from "node:fs/promises";
import validator from "gltf-validator";

let failed = false;
for (const path of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(path));
  const report = await validator.validateBytes(data, { maxIssues: 100 });
  const issues = report.issues;
  failed ||= issues.numErrors > 0;
  console.log(JSON.stringify({
    path,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    messages: issues.messages.slice(0, 10).map((m) => `${m.code} ${m.pointer ?? ""}: ${m.message}`),
  }));
}
process.exit(failed ? 1 : 0);
