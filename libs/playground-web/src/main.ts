import { answerStats, statEntries, type ApiUsage } from './answer-stats';
import { fetchModelId, streamChat } from './api';
import { ApiError } from './api-error';
import {
  buildChatRequest,
  parseSchemaText,
  readNumberField,
  type ConversationTurn,
  type SamplingSettings,
} from './chat-request';
import { ID_CARD_PROMPT, ID_CARD_SCHEMA } from './id-card';
import { renderMarkdown } from './render-markdown';
import {
  DEFAULT_MAX_TILES,
  describeTiles,
  headerSize,
  MAX_TILES,
  tilePreview,
  type TilePreview,
} from './tiling-preview';

/** An image the user added: what is sent, and what the page shows of it. */
interface Attachment {
  name: string;
  dataUrl: string;
  /** blob: URL of the file, for the previews. */
  previewUrl: string;
  width: number;
  height: number;
  maxTiles: number;
}

interface UserTurn extends ConversationTurn {
  role: 'user';
  attachments: Attachment[];
}

interface AssistantTurn extends ConversationTurn {
  role: 'assistant';
  json: boolean;
}

type Turn = UserTurn | AssistantTurn;

const API_KEY_STORAGE = 'internvl.playground.apiKey';

const $ = <T extends HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

const ui = {
  modelName: $('model-name'),
  newChat: $<HTMLButtonElement>('new-chat'),
  conversation: $('conversation'),
  emptyHint: $('empty-hint'),
  status: $('status'),
  error: $('error'),
  composer: $<HTMLFormElement>('composer'),
  dropZone: $('drop-zone'),
  attachments: $<HTMLUListElement>('attachments'),
  fileInput: $<HTMLInputElement>('file-input'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  apiKeyForm: $<HTMLFormElement>('api-key-form'),
  apiKeyHint: $('api-key-hint'),
  apiKey: $<HTMLInputElement>('api-key'),
  temperature: $<HTMLInputElement>('temperature'),
  topP: $<HTMLInputElement>('top-p'),
  maxTokens: $<HTMLInputElement>('max-tokens'),
  seed: $<HTMLInputElement>('seed'),
  jsonMode: $<HTMLInputElement>('json-mode'),
  schema: $<HTMLTextAreaElement>('schema'),
  schemaError: $('schema-error'),
  idCard: $<HTMLButtonElement>('id-card'),
};

const state = {
  model: '',
  apiKey: sessionStorage.getItem(API_KEY_STORAGE) ?? '',
  pending: [] as Attachment[],
  turns: [] as Turn[],
  /** The answer being streamed, if any. */
  running: undefined as AbortController | undefined,
};

// --- errors and status -------------------------------------------------------------------------

function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.textContent = '';
  ui.error.hidden = true;
}

function announce(message: string): void {
  ui.status.textContent = message;
}

function describe(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

// --- model and API key -------------------------------------------------------------------------

function askForApiKey(message: string): void {
  ui.apiKeyForm.hidden = false;
  ui.apiKeyHint.textContent = state.apiKey
    ? `The server refused this API key. It said: ${message}`
    : `This server needs an API key. It said: ${message}`;
  ui.apiKey.focus();
}

async function connect(): Promise<void> {
  ui.modelName.textContent = 'connecting…';
  try {
    state.model = await fetchModelId(state.apiKey);
    ui.modelName.textContent = state.model;
    if (!ui.apiKeyForm.hidden) ui.apiKeyHint.textContent = 'The server accepted this key.';
    clearError();
  } catch (err) {
    ui.modelName.textContent = 'not connected';
    if (err instanceof ApiError && err.status === 401) askForApiKey(err.message);
    else showError(`Cannot load the model list: ${describe(err)}`);
  }
}

ui.apiKeyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  state.apiKey = ui.apiKey.value.trim();
  if (state.apiKey) sessionStorage.setItem(API_KEY_STORAGE, state.apiKey);
  else sessionStorage.removeItem(API_KEY_STORAGE);
  void connect();
});

// --- images ------------------------------------------------------------------------------------

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
    reader.readAsDataURL(file);
  });
}

/** The size the browser decodes, for formats whose header the server-side reader cannot read. */
function decodedSize(url: string): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => reject(new Error('the browser cannot decode it either'));
    img.src = url;
  });
}

async function addFiles(files: Iterable<File>): Promise<void> {
  const problems: string[] = [];
  for (const file of files) {
    if (!file.type.startsWith('image/')) {
      problems.push(`${file.name || 'the pasted item'} is not an image`);
      continue;
    }
    const name = file.name || `pasted-${state.pending.length + 1}.${file.type.slice(6) || 'png'}`;
    const previewUrl = URL.createObjectURL(file);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const size = headerSize(bytes) ?? (await decodedSize(previewUrl));
      const dataUrl = await readAsDataUrl(file);
      state.pending.push({ name, dataUrl, previewUrl, ...size, maxTiles: DEFAULT_MAX_TILES });
    } catch (err) {
      URL.revokeObjectURL(previewUrl);
      problems.push(`${name}: ${describe(err)}`);
    }
  }
  renderAttachments();
  if (problems.length > 0) showError(`Some files were not added: ${problems.join('; ')}`);
  else if (state.pending.length > 0) announce(`${state.pending.length} image(s) ready to send`);
}

/** The image stretched to its tile grid, as the server resizes it, with the tile borders drawn. */
function tileFigure(attachment: Attachment, preview: TilePreview): HTMLElement {
  const frame = document.createElement('div');
  frame.className = 'tile-frame';
  frame.style.aspectRatio = `${preview.cols} / ${preview.rows}`;
  const img = document.createElement('img');
  img.src = attachment.previewUrl;
  img.alt = `${attachment.name}, ${attachment.width} × ${attachment.height} pixels`;
  const grid = document.createElement('div');
  grid.className = 'tile-grid';
  grid.setAttribute('aria-hidden', 'true');
  grid.style.gridTemplateColumns = `repeat(${preview.cols}, 1fr)`;
  grid.style.gridTemplateRows = `repeat(${preview.rows}, 1fr)`;
  for (let i = 0; i < preview.cols * preview.rows; i++) grid.append(document.createElement('span'));
  frame.append(img, grid);
  return frame;
}

function tilesText(attachment: Attachment, preview: TilePreview): HTMLElement {
  const text = document.createElement('span');
  text.className = 'tiles';
  text.dataset.tiles = String(preview.tiles);
  text.dataset.grid = `${preview.cols}x${preview.rows}`;
  text.textContent = `${attachment.width} × ${attachment.height} px → ${describeTiles(preview)}`;
  return text;
}

function renderAttachments(): void {
  ui.attachments.replaceChildren(
    ...state.pending.map((attachment, index) => {
      const li = document.createElement('li');
      li.className = 'attachment';
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = attachment.name;
      const preview = tilePreview(attachment.width, attachment.height, attachment.maxTiles);
      let frame = tileFigure(attachment, preview);
      let tiles = tilesText(attachment, preview);
      const control = document.createElement('label');
      control.className = 'max-tiles';
      control.append('Max tiles ');
      const input = document.createElement('input');
      input.type = 'number';
      input.min = '1';
      input.max = String(MAX_TILES);
      input.step = '1';
      input.value = String(attachment.maxTiles);
      input.setAttribute('aria-label', `Max tiles for ${attachment.name}`);
      input.addEventListener('input', () => {
        const value = Number(input.value);
        if (!Number.isInteger(value) || value < 1 || value > MAX_TILES) {
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        input.removeAttribute('aria-invalid');
        attachment.maxTiles = value;
        const next = tilePreview(attachment.width, attachment.height, value);
        const nextFrame = tileFigure(attachment, next);
        const nextTiles = tilesText(attachment, next);
        frame.replaceWith(nextFrame);
        tiles.replaceWith(nextTiles);
        frame = nextFrame;
        tiles = nextTiles;
      });
      control.append(input);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove ${attachment.name}`);
      remove.addEventListener('click', () => {
        URL.revokeObjectURL(attachment.previewUrl);
        state.pending.splice(index, 1);
        renderAttachments();
        ui.prompt.focus();
      });
      caption.append(name, tiles, control, remove);
      figure.append(frame, caption);
      li.append(figure);
      return li;
    }),
  );
}

ui.fileInput.addEventListener('change', () => {
  const files = Array.from(ui.fileInput.files ?? []);
  ui.fileInput.value = '';
  void addFiles(files);
});

// Drop anywhere on the page; the drop zone shows it is welcome.
document.addEventListener('dragover', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
  ui.dropZone.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) ui.dropZone.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  ui.dropZone.classList.remove('dragging');
  if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
  e.preventDefault();
  void addFiles(Array.from(e.dataTransfer.files));
});
document.addEventListener('paste', (e) => {
  const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
  if (files.length === 0) return;
  e.preventDefault();
  void addFiles(files);
});

// --- settings ----------------------------------------------------------------------------------

/** The form's settings, or a message naming the field that is wrong. */
function readSettings(): { settings: SamplingSettings } | { error: string; field: HTMLElement } {
  const settings: SamplingSettings = {};
  const numbers: [
    HTMLInputElement,
    string,
    keyof SamplingSettings,
    { min: number; max: number; integer?: boolean },
  ][] = [
    [ui.temperature, 'Temperature', 'temperature', { min: 0, max: 2 }],
    [ui.topP, 'Top-p', 'topP', { min: 0, max: 1 }],
    [ui.maxTokens, 'Max tokens', 'maxTokens', { min: 1, max: 1_000_000, integer: true }],
    [ui.seed, 'Seed', 'seed', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }],
  ];
  for (const [input, label, key, bounds] of numbers) {
    const read = readNumberField(label, input.value, bounds);
    if ('error' in read) return { error: read.error, field: input };
    if (read.value !== undefined) (settings[key] as number) = read.value;
  }
  if (ui.jsonMode.checked) {
    const parsed = parseSchemaText(ui.schema.value);
    if ('error' in parsed) return { error: parsed.error, field: ui.schema };
    settings.json = parsed.schema ? { schema: parsed.schema } : {};
  }
  return { settings };
}

ui.schema.addEventListener('input', () => {
  const parsed = parseSchemaText(ui.schema.value);
  ui.schemaError.textContent = 'error' in parsed ? parsed.error : '';
  ui.schema.toggleAttribute('aria-invalid', 'error' in parsed);
});

ui.idCard.addEventListener('click', () => {
  ui.jsonMode.checked = true;
  ui.schema.value = JSON.stringify(ID_CARD_SCHEMA, null, 2);
  ui.schema.dispatchEvent(new Event('input'));
  if (ui.prompt.value.trim() === '') ui.prompt.value = ID_CARD_PROMPT;
  announce('JSON mode on with the ID card schema');
  ui.prompt.focus();
});

// --- conversation ------------------------------------------------------------------------------

function scrollToEnd(): void {
  const c = ui.conversation;
  c.scrollTop = c.scrollHeight;
}

function renderUserTurn(turn: UserTurn): HTMLElement {
  const article = document.createElement('article');
  article.className = 'turn user';
  article.dataset.role = 'user';
  const heading = document.createElement('h3');
  heading.className = 'visually-hidden';
  heading.textContent = 'You';
  article.append(heading);
  if (turn.attachments.length > 0) {
    const images = document.createElement('div');
    images.className = 'turn-images';
    for (const attachment of turn.attachments) {
      const figure = document.createElement('figure');
      const preview = tilePreview(attachment.width, attachment.height, attachment.maxTiles);
      const caption = document.createElement('figcaption');
      caption.append(tilesText(attachment, preview));
      figure.append(tileFigure(attachment, preview), caption);
      images.append(figure);
    }
    article.append(images);
  }
  const text = document.createElement('p');
  text.className = 'turn-text';
  text.textContent = turn.text;
  article.append(text);
  return article;
}

interface AnswerView {
  article: HTMLElement;
  body: HTMLElement;
  note: HTMLElement;
  stats: HTMLDListElement;
}

function answerView(): AnswerView {
  const article = document.createElement('article');
  article.className = 'turn assistant';
  article.dataset.role = 'assistant';
  article.dataset.state = 'waiting';
  article.setAttribute('aria-busy', 'true');
  const heading = document.createElement('h3');
  heading.className = 'visually-hidden';
  heading.textContent = 'Answer';
  const body = document.createElement('div');
  body.className = 'answer markdown';
  const note = document.createElement('p');
  note.className = 'note';
  const stats = document.createElement('dl');
  stats.className = 'stats';
  stats.setAttribute('aria-label', 'Answer statistics');
  article.append(heading, body, note, stats);
  return { article, body, note, stats };
}

function renderStats(view: AnswerView, entries: ReturnType<typeof statEntries>): void {
  view.stats.replaceChildren(
    ...entries.flatMap(({ key, label, value }) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.stat = key;
      dd.textContent = value;
      div.append(dt, dd);
      return [div];
    }),
  );
}

function setRunning(controller: AbortController | undefined): void {
  state.running = controller;
  ui.stop.disabled = !controller;
  ui.send.disabled = !!controller;
}

/** The JSON answer pretty-printed, or why it is not JSON. */
function showJsonAnswer(view: AnswerView, text: string, finishReason: string | undefined): void {
  try {
    const value: unknown = JSON.parse(text);
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.className = 'language-json';
    code.textContent = JSON.stringify(value, null, 2);
    pre.append(code);
    view.body.replaceChildren(pre);
    view.article.dataset.json = 'valid';
    view.note.textContent = 'Valid JSON.';
  } catch (err) {
    view.article.dataset.json = 'invalid';
    view.note.textContent =
      finishReason === 'length'
        ? 'Not complete JSON: the answer reached the max tokens limit.'
        : `Not valid JSON: ${(err as Error).message}`;
  }
}

async function ask(userTurn: UserTurn, settings: SamplingSettings): Promise<void> {
  const turn: AssistantTurn = { role: 'assistant', text: '', json: !!settings.json };
  const body = buildChatRequest(state.model, state.turns, settings);
  state.turns.push(turn);
  const view = answerView();
  ui.conversation.append(view.article);
  scrollToEnd();
  const controller = new AbortController();
  setRunning(controller);
  announce('Waiting for the answer…');
  const timing = { sentAt: performance.now(), firstTokenAt: undefined as number | undefined, endedAt: 0 };
  let chunks = 0;
  let frame = 0;
  const paint = () => {
    frame = 0;
    view.body.replaceChildren(renderMarkdown(turn.text));
    view.body.dataset.chunks = String(chunks);
    scrollToEnd();
  };
  let usage: ApiUsage | undefined;
  try {
    const result = await streamChat(body, state.apiKey, controller.signal, (text) => {
      if (timing.firstTokenAt === undefined) {
        timing.firstTokenAt = performance.now();
        view.article.dataset.state = 'streaming';
      }
      turn.text += text;
      chunks++;
      if (!frame) frame = requestAnimationFrame(paint);
    });
    timing.endedAt = performance.now();
    usage = result.usage;
    if (frame) cancelAnimationFrame(frame);
    paint();
    if (turn.json) showJsonAnswer(view, turn.text, result.finishReason);
    else if (result.finishReason === 'length') view.note.textContent = 'Stopped at the max tokens limit.';
    view.article.dataset.finishReason = result.finishReason ?? '';
    view.article.dataset.state = 'done';
    announce('Answer complete.');
  } catch (err) {
    timing.endedAt = performance.now();
    if (frame) cancelAnimationFrame(frame);
    paint();
    if ((err as Error).name === 'AbortError') {
      view.article.dataset.state = 'stopped';
      view.note.textContent = turn.text
        ? 'Stopped. The partial answer stays in the conversation.'
        : 'Stopped.';
      announce('Answer stopped.');
    } else if (turn.text === '') {
      // Nothing was answered: take the question back so it can be fixed and sent again.
      view.article.remove();
      ui.conversation.lastElementChild?.remove();
      state.turns.splice(state.turns.length - 2, 2);
      state.pending = userTurn.attachments;
      ui.prompt.value = userTurn.text;
      renderAttachments();
      if (err instanceof ApiError && err.status === 401) askForApiKey(err.message);
      showError(describe(err));
      announce('The request failed.');
      ui.emptyHint.hidden = state.turns.length > 0;
    } else {
      view.article.dataset.state = 'error';
      view.note.textContent = `The answer broke off: ${describe(err)}`;
      view.note.setAttribute('role', 'alert');
    }
  } finally {
    view.article.removeAttribute('aria-busy');
    renderStats(view, statEntries(answerStats(timing, usage)));
    setRunning(undefined);
    if (view.article.isConnected) scrollToEnd();
  }
}

ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.running) return;
  clearError();
  const text = ui.prompt.value.trim();
  if (text === '' && state.pending.length === 0) {
    showError('Type a message or add an image first.');
    ui.prompt.focus();
    return;
  }
  if (!state.model) {
    showError('Not connected to the server yet: check the API key or reload the page.');
    return;
  }
  const read = readSettings();
  if ('error' in read) {
    showError(read.error);
    read.field.focus();
    return;
  }
  const attachments = state.pending;
  const turn: UserTurn = {
    role: 'user',
    text,
    attachments,
    images: attachments.map((a) => ({ dataUrl: a.dataUrl, maxTiles: a.maxTiles })),
  };
  state.turns.push(turn);
  state.pending = [];
  renderAttachments();
  ui.prompt.value = '';
  ui.emptyHint.hidden = true;
  ui.conversation.append(renderUserTurn(turn));
  void ask(turn, read.settings);
});

ui.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    ui.composer.requestSubmit();
  }
});

ui.stop.addEventListener('click', () => {
  state.running?.abort();
  ui.prompt.focus();
});

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.running) {
    e.preventDefault();
    state.running.abort();
  }
});

ui.newChat.addEventListener('click', () => {
  state.running?.abort();
  for (const turn of state.turns) {
    if (turn.role === 'user') for (const a of turn.attachments) URL.revokeObjectURL(a.previewUrl);
  }
  state.turns = [];
  ui.conversation.replaceChildren(ui.emptyHint);
  ui.emptyHint.hidden = false;
  clearError();
  announce('New chat.');
  ui.prompt.focus();
});

if (state.apiKey) ui.apiKey.value = state.apiKey;
void connect();
