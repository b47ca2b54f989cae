// The running agent: one speaker, one control socket, and config reloads.
// Signal handling and process exit live in flatroute.ts, so tests can drive
// an Agent in-process with a fake speaker.
import type { Logger } from "pino";
import type { SpeakerConfig } from "../bgp/config";
import type { SpeakerApi } from "../bgp/speaker-api";
import { type AgentConfig, ConfigError, loadConfigFile } from "../config/load";
import type { LogLevel } from "../config/schema";
import { CommandError, dispatch } from "../control/commands";
import { ControlServer } from "../control/server";
import { VERSION } from "./version";

export interface AgentOptions {
  configPath: string;
  /** --control-socket: overrides control.socket from the file. */
  controlSocket?: string;
  /** --log-level: overrides log.level from the file, also across reloads. */
  logLevel?: LogLevel;
}

export type SpeakerFactory = (config: SpeakerConfig, log: Logger) => SpeakerApi;

export class Agent {
  private lastReconfigure: string | undefined;
  /** Reloads run one at a time, in the order they were asked for. */
  private reloads: Promise<unknown> = Promise.resolve();
  private control: ControlServer | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: AgentOptions,
    private config: AgentConfig,
    readonly speaker: SpeakerApi,
    private readonly log: Logger,
  ) {}

  /** Starts the speaker, then the control socket. `config` is the already loaded file. */
  static async start(
    options: AgentOptions,
    config: AgentConfig,
    log: Logger,
    createSpeaker: SpeakerFactory,
  ): Promise<Agent> {
    const speaker = createSpeaker(config.speaker, log);
    const agent = new Agent(options, config, speaker, log);
    await speaker.start();
    try {
      agent.control = await ControlServer.listen(
        agent.controlPath,
        (command, args) =>
          dispatch(
            {
              speaker,
              version: VERSION,
              configure: (check) => agent.configure(check),
              agentInfo: () => agent.info(),
            },
            command,
            args,
          ),
        { log },
      );
    } catch (e) {
      await speaker.stop("control socket failed");
      throw e;
    }
    log.info(
      {
        version: VERSION,
        config: options.configPath,
        control: agent.controlPath,
        peers: config.speaker.peers.length,
      },
      "flatroute agent started",
    );
    return agent;
  }

  get controlPath(): string {
    return this.options.controlSocket ?? this.config.control.socket;
  }

  /**
   * Re-reads the config file. With `check` only validates it; otherwise hands
   * the new model to the speaker. An invalid file leaves the running config
   * untouched and rejects with a CommandError listing the problems.
   */
  configure(check: boolean): Promise<string> {
    const run = this.reloads.then(() => this.reload(check));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  /** Sends a Cease to every peer and closes the control socket. Idempotent. */
  stop(message: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ message }, "flatroute agent stopping");
      try {
        await this.speaker.stop(message);
      } finally {
        await this.control?.close();
      }
    })();
    return this.stopping;
  }

  private info(): { lastReconfigure?: string; configFile: string } {
    const out: { lastReconfigure?: string; configFile: string } = { configFile: this.options.configPath };
    if (this.lastReconfigure) out.lastReconfigure = this.lastReconfigure;
    return out;
  }

  private async reload(check: boolean): Promise<string> {
    const path = this.options.configPath;
    let next: AgentConfig;
    try {
      next = await loadConfigFile(path);
    } catch (e) {
      if (e instanceof ConfigError) {
        this.log.error(
          { config: path, problems: e.problems },
          "configuration rejected; keeping the running one",
        );
        throw new CommandError(e.message);
      }
      throw e;
    }
    if (check) return `Reading configuration from ${path}\nConfiguration OK`;

    await this.speaker.reconfigure(next.speaker);
    if (!this.options.logLevel && next.log.level !== this.log.level) {
      this.log.info({ from: this.log.level, to: next.log.level }, "log level changed");
      this.log.level = next.log.level;
    }
    if (!this.options.controlSocket && next.control.socket !== this.config.control.socket) {
      this.log.warn(
        { running: this.config.control.socket, configured: next.control.socket },
        "control.socket changes take effect after a restart",
      );
      next = { ...next, control: this.config.control };
    }
    this.config = next;
    this.lastReconfigure = new Date().toISOString();
    this.log.info({ config: path, peers: next.speaker.peers.length }, "reconfigured");
    return `Reading configuration from ${path}\nReconfigured`;
  }
}
