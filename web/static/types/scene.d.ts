// The parts of a packaged scene's script (protocol/scene.py) that the viewer's visit reads.

/** Text per language tag ("zh-CN", "en", ...). */
type LocalizedText = Record<string, string>;

interface SceneHotspot {
  id: string;
  title: LocalizedText;
  text: LocalizedText;
  /** Indexes into the scene's sources. */
  sources: number[];
  disputed?: boolean;
}

interface SceneRouteStop {
  id: string;
  camera: unknown;
  say: LocalizedText;
  hotspots?: string[];
}

interface SceneQuizItem {
  id: string;
  hotspot?: string | null;
  prompt: LocalizedText;
  choices: LocalizedText[];
  /** Index of the right choice. */
  answer: number;
  explain: LocalizedText;
}

interface SceneScript {
  id: string;
  hotspots: SceneHotspot[];
  route: SceneRouteStop[];
  quiz: SceneQuizItem[];
  sources: { title: string }[];
}
