// Types the portal's page scripts name in their JSDoc (checked by `tsc -p tsconfig.json`;
// nothing here is served).

/** A form whose controls the script reads by name (`form.elements.file`). */
type NamedForm = HTMLFormElement & {
  elements: HTMLFormControlsCollection & Record<string, HTMLInputElement>;
};

interface Window {
  /** Apache ECharts, loaded by dashboard.js from /vendor/echarts when a chart is shown. */
  echarts?: typeof import("echarts");
}
