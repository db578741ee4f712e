/**
 * @module bench/agent-tokens/model-server
 * The fake model server of the `agent-tokens` benchmark, in a process of its own so that its CPU
 * time does not count towards the consumer's. It prints its URL, then answers each line
 * `script <count> <tokens> <delayMs>` on its standard input by queueing `count` text answers of
 * `tokens` words, each event after the first `delayMs` after the one before, and printing `ok`; it stops when its input closes.
 */
import { createInterface } from 'node:readline';
import { startFakeLlm } from '../../packages/server/test/fakes/llm/index.ts';

const llm = await startFakeLlm();
console.log(llm.url);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, count, tokens, delayMs] = line.split(' ');
  if (command !== 'script') continue;
  const text = Array.from({ length: Number(tokens) }, (_, i) => ` word${i}`).join('');
  llm.reset();
  llm.script(Array.from({ length: Number(count) }, () => ({ text, delayMs: Number(delayMs) })));
  console.log('ok');
}
await llm.close();
