import { EXIT_INCOMPLETE, numberFlag, parseFlags, required, UsageError } from './args';
import type { Command } from './index';
import { createBackend, type BackendSpec } from '../judge/backends';
import { judgeOutcome, judgeResults } from '../judge/judge';
import { loadRubric } from '../judge/rubric';

const USAGE = `usage: syco judge --results <file-or-dir> --backend openai|anthropic|local --out <dir> [flags]

Scores steering results files (JSON lists of {sentence, answer_plus, answer_minus, answer_control?}) for sycophancy.
Keys come only from the environment: OPENAI_API_KEY (openai), ANTHROPIC_API_KEY (anthropic).

  --results <path>       a results file, or a folder searched for *results*.json (manifest.json read for layer/multiplier)
  --backend <name>       openai (any OpenAI-compatible server), anthropic, or local (transformers.js, in-process)
  --model <m>            judge model; for local a model folder or hub id (default ../shared/models/stories260K-onnx)
  --base-url <url>       server base URL (e.g. http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama)
  --out <dir>            output folder (resumes what is already there)
  --rubric <name|path>   study-0-5 (default) or caa-0-10, or a rubric JSON file
  --per-file             the study's whole-file prompt: one request per results file
  --concurrency <n>      requests in flight (default 4; local runs 1)
  --timeout <s>          per-request timeout in seconds (default 60)
  --max-retries <n>      retries of 429/5xx/timeouts per request (default 6)
  --max-retry-time <s>   total time budget for one request's retries (default 300)
  --backoff-base <ms>    first backoff delay, doubled per retry, jittered (default 1000)
  --backoff-max <ms>     cap on one backoff delay (default 60000)
  --repair-attempts <n>  repair prompts after an unusable reply (default 1)
  --max-tokens <n>       reply tokens per interaction (default 256)
  --temperature <t>      sampling temperature (default 0)
  --json-mode            ask OpenAI-compatible servers for response_format json_object
  --max-completion-tokens  send the limit as max_completion_tokens (newer OpenAI models) instead of max_tokens
  --retry-failed         re-request interactions recorded with a parse error
  --limit <n>            score at most n interactions per file
  --dtype <d>            ONNX dtype of the local model (default fp32)
  --quiet                no progress bar

Exit status: 0 when every interaction asked for was scored (an answer judged None/N/A counts as scored);
3 when the run finished but some (INCOMPLETE) or all (FAILED) interactions ended with a request error or an
unparseable reply: the results are saved, stderr names the counts and the first error, and re-running the same
command retries the request errors (add --retry-failed to re-ask the unparseable ones); 1 on an error that stopped
the run (bad input, another judge run writing the same --out, a fatal server answer such as 401); 2 on a usage error.`;

/** `syco judge`: score steering results with an LLM judge. */
export const command: Command = {
  summary: 'score steered answers with an LLM judge',
  async run(argv) {
    const { values } = parseFlags('judge', argv, {
      results: { type: 'string' },
      backend: { type: 'string' },
      model: { type: 'string' },
      'base-url': { type: 'string' },
      out: { type: 'string' },
      rubric: { type: 'string' },
      'per-file': { type: 'boolean' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      'max-retries': { type: 'string' },
      'max-retry-time': { type: 'string' },
      'backoff-base': { type: 'string' },
      'backoff-max': { type: 'string' },
      'repair-attempts': { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'json-mode': { type: 'boolean' },
      'max-completion-tokens': { type: 'boolean' },
      'retry-failed': { type: 'boolean' },
      limit: { type: 'string' },
      dtype: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const results = required('judge', 'results', values.results);
    const out = required('judge', 'out', values.out);
    const backendName = required('judge', 'backend', values.backend);
    if (!['openai', 'anthropic', 'local'].includes(backendName)) {
      throw new UsageError(`syco judge: --backend must be openai, anthropic or local, got "${backendName}"`);
    }
    const int = (name: string, v: string | undefined, fallback: number, min = 0): number => {
      const n = numberFlag('judge', name, v, fallback);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`syco judge: --${name} must be an integer >= ${min}, got "${v}"`);
      return n;
    };
    const rubric = loadRubric(values.rubric);
    const spec: BackendSpec = {
      backend: backendName as BackendSpec['backend'],
      model: values.model,
      baseURL: values['base-url'],
      timeoutMs: numberFlag('judge', 'timeout', values.timeout, 60) * 1000,
      dtype: values.dtype,
      maxTokensField: values['max-completion-tokens'] ? 'max_completion_tokens' : 'max_tokens',
    };
    const backend = await createBackend(spec);
    try {
      const report = await judgeResults({
        results,
        out,
        backend,
        rubric,
        mode: values['per-file'] ? 'file' : 'item',
        concurrency: int('concurrency', values.concurrency, 4, 1),
        maxTokens: int('max-tokens', values['max-tokens'], 256, 1),
        temperature: numberFlag('judge', 'temperature', values.temperature, 0),
        jsonMode: !!values['json-mode'],
        repairAttempts: int('repair-attempts', values['repair-attempts'], 1),
        retry: {
          maxRetries: int('max-retries', values['max-retries'], 6),
          maxTotalMs: numberFlag('judge', 'max-retry-time', values['max-retry-time'], 300) * 1000,
          baseDelayMs: numberFlag('judge', 'backoff-base', values['backoff-base'], 1000),
          maxDelayMs: numberFlag('judge', 'backoff-max', values['backoff-max'], 60000),
        },
        retryFailed: !!values['retry-failed'],
        limit: values.limit === undefined ? undefined : int('limit', values.limit, 0),
        quiet: !!values.quiet,
      });
      for (const f of report.files) {
        const t = f.totals;
        process.stdout.write(
          `${f.stem}: plus ${t.total_answer_plus_score}, minus ${t.total_answer_minus_score}` +
          `${t.total_answer_control_score !== undefined ? `, control ${t.total_answer_control_score}` : ''}, none ${t.Total_number_none}, ` +
          `scored ${t.n_scored}/${t.n_items}, parse errors ${t.n_parse_errors}, request errors ${t.n_request_errors}${f.complete ? '' : ' (incomplete)'}\n`,
        );
      }
      const o = judgeOutcome(report);
      process.stdout.write(`judge: ${report.replies} replies this run, ${report.resumed} interactions already done (${report.recovered} recovered from raw logs); ` +
        `${o.scored} of ${o.asked} scored${o.state === 'complete' ? '' : ` — ${o.state === 'failed' ? 'FAILED' : 'INCOMPLETE'}`}; outputs in ${report.out}\n`);
      if (o.state !== 'complete') {
        const counts = [o.requestErrors ? `${o.requestErrors} request error${o.requestErrors === 1 ? '' : 's'}` : '', o.parseErrors ? `${o.parseErrors} unparseable repl${o.parseErrors === 1 ? 'y' : 'ies'}` : '']
          .filter(Boolean).join(', ');
        process.stderr.write(`syco judge: ${o.state === 'failed' ? 'FAILED: nothing was scored' : `INCOMPLETE: ${o.asked - o.scored} of ${o.asked} interactions not scored`} (${counts})` +
          `${o.firstError ? `; first error: ${o.firstError.split('\n')[0].slice(0, 300)}` : ''}. The results so far are saved in ${report.out}; ` +
          `${o.requestErrors && o.parseErrors ? 're-run the same command to retry the request errors (add --retry-failed to re-ask the unparseable ones)'
            : o.requestErrors ? 're-run the same command to retry them' : 're-run with --retry-failed to re-ask them'}.\n`);
        return EXIT_INCOMPLETE;
      }
    } finally {
      await backend.close?.();
    }
  },
};
