/**
 * @module cli/commands/serve
 * `lucid serve`: runs the server with the configuration from the environment (and `.env`).
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.ts';
import { CliError } from '../cli-error.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Lucid server (what `npm start` runs)')
    .action(async () => {
      if (existsSync('.env')) process.loadEnvFile('.env');
      let config;
      try {
        config = loadConfig(process.env);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 78);
        throw error;
      }
      // Loaded here so that the client commands start without the server's dependencies.
      const { defaultWebRoot, startServer } = await import('../../server.ts');
      const server = await startServer({ config, webRoot: defaultWebRoot });
      const graceMs = config.sandbox.shutdownGraceMs;
      const stop = (signal: string) => {
        server.app.log.info(
          { graceMs },
          `${signal}: shutting down; runs in flight may finish, then the rest are handed back`,
        );
        server.close({ graceMs }).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
