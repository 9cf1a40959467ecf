/**
 * The web demo's page: a chat with the model this server serves. Images are picked, dropped or
 * pasted, previewed and sent inline; answers stream in over /v1/chat/completions; Stop aborts the
 * request (the server aborts the generation with it); Regenerate asks for the last answer again;
 * Remove last turn and Clear edit the history the next request sends. Nothing is kept after the tab
 * closes except, for the tab's life, an API key typed in (sessionStorage).
 */
import { ApiError, streamChat } from './api.js';
import { Attachments, readAsDataUrl } from './attachments.js';
import { groundingImage, requestMessages, type Turn } from './conversation.js';
import { bindSettings } from './settings.js';
import { TurnView } from './turn-view.js';

interface UiConfig {
  model: string;
  apiKeyRequired: boolean;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const keyStorage = 'vl2-api-key';
/** The example: the bundled image and a grounding prompt, answered with a box. */
const examplePrompt = '<|ref|>the red rectangle<|/ref|>';

const ui = {
  model: byId<HTMLElement>('model-name'),
  turns: byId<HTMLOListElement>('turns'),
  error: byId<HTMLElement>('error'),
  composer: byId<HTMLFormElement>('composer'),
  files: byId<HTMLInputElement>('files'),
  prompt: byId<HTMLTextAreaElement>('prompt'),
  send: byId<HTMLButtonElement>('send'),
  stop: byId<HTMLButtonElement>('stop'),
  regenerate: byId<HTMLButtonElement>('regenerate'),
  removeLast: byId<HTMLButtonElement>('remove-last'),
  clear: byId<HTMLButtonElement>('clear'),
  example: byId<HTMLButtonElement>('example'),
  keyBox: byId<HTMLElement>('key-box'),
  apiKey: byId<HTMLInputElement>('api-key'),
};
const attachments = new Attachments(byId('attachments'), () => refreshButtons());
const sampling = bindSettings(byId('settings'));
const turns: Turn[] = [];
const views: TurnView[] = [];
let config: UiConfig = { model: '', apiKeyRequired: false };
let running: AbortController | undefined;

function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = message === '';
}

function refreshButtons(): void {
  const busy = running !== undefined;
  ui.send.disabled = busy;
  ui.stop.disabled = !busy;
  ui.regenerate.disabled = busy || turns.length === 0;
  ui.removeLast.disabled = turns.length === 0;
  ui.clear.disabled = turns.length === 0 && attachments.count === 0 && ui.prompt.value === '';
}

function show(index: number, state: 'streaming' | 'done'): void {
  const turn = turns[index];
  if (turn) views[index]?.update(turn.answer, state, groundingImage(turns, index));
}

/**
 * Streams the answer of the last turn. A new turn (`fresh`) whose request is refused before it starts
 * is taken back, its prompt and images returned to the composer to edit; a regenerated one keeps its
 * place and shows the refusal.
 */
async function generate(fresh: boolean): Promise<void> {
  const index = turns.length - 1;
  const turn = turns[index] as Turn;
  const controller = new AbortController();
  running = controller;
  showError('');
  refreshButtons();
  turn.answer = { text: '', sentAt: performance.now() };
  show(index, 'streaming');
  try {
    const request = { model: config.model, messages: requestMessages(turns, index), ...sampling() };
    for await (const chunk of streamChat(request, ui.apiKey.value || undefined, controller.signal)) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        turn.answer.firstTextAt ??= performance.now();
        turn.answer.text += choice.delta.content;
      }
      if (choice?.finish_reason) turn.answer.finishReason = choice.finish_reason;
      if (chunk.usage) turn.answer.usage = chunk.usage;
      show(index, 'streaming');
    }
  } catch (error) {
    if (controller.signal.aborted) turn.answer.stopped = true;
    else if (fresh && error instanceof ApiError && error.status !== 0 && turns[index] === turn) {
      // Refused before any answer (too large, too long, busy...): give the prompt back to edit.
      turns.splice(index, 1);
      views.splice(index, 1)[0]?.element.remove();
      ui.prompt.value = turn.prompt;
      attachments.add(turn.images);
      showError(error.message);
      if (error.status === 401) ui.apiKey.focus();
    } else {
      turn.answer.error = error instanceof Error ? error.message : String(error);
      if (error instanceof ApiError && error.status !== 0) showError(error.message);
    }
  } finally {
    turn.answer.doneAt = performance.now();
    if (running === controller) running = undefined;
    show(index, 'done');
    refreshButtons();
  }
}

function send(): void {
  const prompt = ui.prompt.value.trim();
  if (running || (prompt === '' && attachments.count === 0)) return;
  const turn: Turn = { prompt, images: attachments.take(), answer: { text: '' } };
  ui.prompt.value = '';
  turns.push(turn);
  const view = new TurnView(turn);
  views.push(view);
  ui.turns.append(view.element);
  view.element.scrollIntoView({ block: 'end' });
  void generate(true);
}

function removeLastTurn(): void {
  running?.abort();
  turns.pop();
  views.pop()?.element.remove();
  refreshButtons();
}

function clearChat(): void {
  running?.abort();
  turns.splice(0);
  views.splice(0);
  ui.turns.replaceChildren();
  attachments.take();
  ui.prompt.value = '';
  showError('');
  refreshButtons();
}

async function loadExample(): Promise<void> {
  const response = await fetch('/ui/demo.png');
  if (!response.ok) throw new Error(`The example image could not be loaded (HTTP ${response.status}).`);
  attachments.add([await readAsDataUrl(await response.blob())]);
  ui.prompt.value = examplePrompt;
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
ui.prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
ui.prompt.addEventListener('input', refreshButtons);
ui.stop.addEventListener('click', () => running?.abort());
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') running?.abort();
});
ui.regenerate.addEventListener('click', () => {
  if (!running && turns.length) void generate(false);
});
ui.removeLast.addEventListener('click', removeLastTurn);
ui.clear.addEventListener('click', clearChat);
ui.example.addEventListener('click', () => void loadExample().catch((e: Error) => showError(e.message)));
ui.files.addEventListener('change', () => {
  void attachments.addFiles(ui.files.files ?? []);
  ui.files.value = '';
});
ui.composer.addEventListener('dragover', (event) => event.preventDefault());
ui.composer.addEventListener('drop', (event) => {
  event.preventDefault();
  void attachments.addFiles(event.dataTransfer?.files ?? []);
});
ui.prompt.addEventListener('paste', (event) => {
  const files = event.clipboardData?.files;
  if (files?.length) void attachments.addFiles(files);
});
ui.apiKey.addEventListener('input', () => sessionStorage.setItem(keyStorage, ui.apiKey.value));

async function start(): Promise<void> {
  config = (await (await fetch('/ui/config.json')).json()) as UiConfig;
  ui.model.textContent = config.model;
  ui.keyBox.hidden = !config.apiKeyRequired;
  ui.apiKey.value = sessionStorage.getItem(keyStorage) ?? '';
  refreshButtons();
  document.body.dataset.ready = 'true';
}

start().catch((error: Error) => showError(`The page could not start: ${error.message}`));
