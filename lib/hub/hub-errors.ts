/** Turns what @huggingface/hub and fetch throw into {@link HubError}s that say what to do. */
import { HubApiError, InvalidApiResponseFormatError } from '@huggingface/hub';
import { HubError } from '../errors.js';

/** Where a failure happened: the repository lookup or one file's download. */
export interface FailureContext {
  repo: string;
  endpoint: string;
  revision: string;
  file?: string;
  hasToken: boolean;
}

/** The hub answers 401 for a repository it will not admit exists (missing, or private without access). */
export function toHubError(error: unknown, context: FailureContext): unknown {
  if (error instanceof HubError) return error;
  const { repo, file, endpoint } = context;
  const what = file ? `${file} of ${repo}` : repo;
  if (error instanceof HubApiError) {
    const status = error.statusCode;
    if (status === 401 && context.hasToken && /credentials/i.test(error.message)) {
      return new HubError(
        'VL2_HUB_UNAUTHORIZED',
        `${endpoint} refused the token (HF_TOKEN or the token option) for ${what}: ${error.message}`,
        { repo, file, cause: error },
      );
    }
    if (file && (status === 401 || status === 403)) {
      return new HubError(
        'VL2_HUB_UNAUTHORIZED',
        `${endpoint} refused ${what} (${status}): the repository is gated or private; ` +
          (context.hasToken
            ? 'the token has not been granted access (accept the terms on its hub page)'
            : 'set HF_TOKEN to a token that has been granted access'),
        { repo, file, cause: error },
      );
    }
    if (status === 401 || status === 403 || status === 404) {
      return new HubError(
        'VL2_HUB_NOT_FOUND',
        `${what} at revision ${context.revision} was not found on ${endpoint} (${status})` +
          (context.hasToken ? '' : '; if it is private, set HF_TOKEN'),
        { repo, file, cause: error },
      );
    }
    return new HubError('VL2_HUB_NETWORK', `${endpoint} answered ${status} for ${what}: ${error.message}`, {
      repo,
      file,
      cause: error,
    });
  }
  if (error instanceof InvalidApiResponseFormatError) {
    return new HubError(
      'VL2_HUB_NETWORK',
      `${endpoint} gave an unexpected answer for ${what}: ${error.message}`,
      {
        repo,
        file,
        cause: error,
      },
    );
  }
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    const cause = (error.cause as Error | undefined)?.message ?? error.message;
    return new HubError(
      'VL2_HUB_NETWORK',
      `could not reach ${endpoint} for ${what} (${cause}); set HF_HUB_OFFLINE=1 to use the cache only`,
      { repo, file, cause: error },
    );
  }
  return error;
}
