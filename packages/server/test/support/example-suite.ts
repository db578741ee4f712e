/**
 * The example suite (`evals/example`) played by scripted models on the fake LLM: on each case a
 * model writes the file right or wrong, then finishes, each call reporting 1,000 input and 100
 * output tokens, so an attempt costs exactly two such calls at the model's prices.
 *
 * @example
 * llm.script(exampleSuiteScript('claude-sonnet-4-5', ['add', 'greet']));
 */
import path from 'node:path';
import type { ScriptStep } from '../fakes/llm/index.ts';

/** The suite's folder. */
export const EXAMPLE_SUITE = path.resolve(import.meta.dirname, '../../../../evals/example');

/** What each call of a scripted model reports. */
export const EXAMPLE_USAGE = { inputTokens: 1000, outputTokens: 100 };

/** What each case's file becomes, right or wrong. */
const FILES = {
  add: {
    path: 'calc.js',
    right: 'export function add(a, b) {\n  return a + b;\n}\n',
    wrong: 'export function add(a, b) {\n  return a * b;\n}\n',
  },
  greet: {
    path: 'greet.js',
    right: 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n',
    wrong: 'export function greet(name) {\n  return `Hello ${name}`;\n}\n',
  },
  shout: {
    path: 'shout.js',
    right: 'export function shout(text) {\n  return `${text.toUpperCase()}!`;\n}\n',
    wrong: 'export function shout(text) {\n  return text.toUpperCase();\n}\n',
  },
} as const;

export type ExampleCase = keyof typeof FILES;
export const EXAMPLE_CASES = Object.keys(FILES) as ExampleCase[];

/** A model's steps on every case of the suite: right on `passing`, wrong on the others. */
export function exampleSuiteScript(model: string, passing: ExampleCase[]): ScriptStep[] {
  return EXAMPLE_CASES.flatMap((id) => {
    const file = FILES[id];
    const when = (body: Record<string, unknown>) =>
      body.model === model && JSON.stringify(body.messages).includes(`In ${file.path},`);
    const content = passing.includes(id) ? file.right : file.wrong;
    return [
      {
        when,
        usage: EXAMPLE_USAGE,
        toolCalls: [{ name: 'write_file', input: { path: file.path, content } }],
      },
      {
        when,
        usage: EXAMPLE_USAGE,
        toolCalls: [{ name: 'finish', input: { summary: `Fixed ${file.path}.` } }],
      },
    ];
  });
}
