/**
 * OpenAI chat messages to the model's messages: text parts joined, each image_url resolved under the
 * server's image policy (all of a request's images fetched together), 'developer' read as 'system'.
 */
import type { ChatMessage, ContentPart } from '../processor/index.js';
import { badRequest } from './errors.js';
import { type ImagePolicy, resolveImageUrl } from './images.js';
import type { RequestMessage } from './schema.js';

/** The messages of a request, images loaded; throws a 400 HttpError naming the bad part. */
export async function toChatMessages(
  messages: RequestMessage[],
  policy: ImagePolicy,
  signal: AbortSignal,
): Promise<ChatMessage[]> {
  return Promise.all(
    messages.map(async (message, i): Promise<ChatMessage> => {
      const role = message.role === 'developer' ? 'system' : message.role;
      if (typeof message.content === 'string') return { role, content: message.content };
      const parts = await Promise.all(
        message.content.map(async (part, k): Promise<ContentPart> => {
          const param = `messages[${i}].content[${k}]`;
          if (part.type === 'text') {
            if (typeof part.text !== 'string') throw badRequest(`${param}.text is required`, `${param}.text`);
            return { type: 'text', text: part.text };
          }
          if (!part.image_url) throw badRequest(`${param}.image_url is required`, `${param}.image_url`);
          if (role !== 'user')
            throw badRequest(`${param}: only user messages carry images`, param, 'invalid_value');
          return { type: 'image', image: await resolveImageUrl(part.image_url.url, policy, param, signal) };
        }),
      );
      return { role, content: parts };
    }),
  );
}
