/*
 * CLIENT PAUSE / UNPAUSE (Redis 7.0 networking.c pauseClients, server.c processCommand).
 *
 * While a pause is in force, a command it covers (every command under ALL; under WRITE the
 * write commands, the may-replicate ones and an EXEC holding either) is postponed: its
 * arguments are copied aside, the client runs nothing more, and when the pause ends (CLIENT
 * UNPAUSE, or its deadline) the postponed clients run their command again in the order they
 * were paused, then carry on with their buffered input. The dataset stays still meanwhile:
 * the store neither expires (lazily or actively) nor evicts keys while paused (Keyspace.frozen).
 */
import { SavedArguments, type Client } from './client.ts';
import type { CommandEntry } from './registry.ts';
import type { ServerState } from './server-state.ts';
import { CommandFlag } from './registry.ts';

export const PauseType = {
  OFF: 0,
  WRITE: 1,
  ALL: 2,
} as const;

/** Redis's CMD_MAY_REPLICATE commands (COMMAND INFO does not show that flag). */
const MAY_REPLICATE = new Set(['eval', 'evalsha', 'fcall', 'pfcount', 'publish', 'spublish']);

export class ClientPause {
  type: number = PauseType.OFF;
  /** Absolute end time in ms. */
  end = 0;
  private readonly postponed: Client[] = [];
  private timer: NodeJS.Timeout | null = null;
  private server: ServerState | null = null;

  attach(server: ServerState): void {
    this.server = server;
  }

  /** Clients waiting for the pause to end (counted in blocked_clients, as Redis counts them). */
  get postponedCount(): number {
    return this.postponed.length;
  }

  /** pauseClients: the more restrictive type and the later end win. */
  pause(end: number, type: number): void {
    const now = this.server!.clock.now;
    if (this.type === PauseType.OFF || this.end < now) {
      this.type = type;
      this.end = end;
    } else {
      if (type > this.type) this.type = type;
      if (end > this.end) this.end = end;
    }
    if (this.end < now) this.type = PauseType.OFF;
    this.update(false);
  }

  unpause(): void {
    const was = this.type;
    this.type = PauseType.OFF;
    this.end = 0;
    this.update(was !== PauseType.OFF);
  }

  /** Whether the pause holds `cmd` back (processCommand's check). */
  covers(c: Client, cmd: CommandEntry): boolean {
    if (this.type === PauseType.OFF) return false;
    if (this.end < this.server!.clock.now) {
      this.unpause();
      return false;
    }
    if (this.type === PauseType.ALL) return true;
    const writes = CommandFlag.WRITE;
    if ((cmd.flags & writes) !== 0 || (cmd.parent === null && MAY_REPLICATE.has(cmd.name))) return true;
    if (cmd.parent === null && cmd.name === 'exec' && c.multi !== null) {
      for (const q of c.multi) if ((q.cmd.flags & writes) !== 0 || (q.cmd.parent === null && MAY_REPLICATE.has(q.cmd.name))) return true;
    }
    return false;
  }

  /** Hold c's current command until the pause ends. */
  postpone(c: Client, cmd: CommandEntry): void {
    c.postponed = new SavedArguments(c);
    this.postponed.push(c);
  }

  /** The client is going away. */
  forget(c: Client): void {
    if (c.postponed === null) return;
    c.postponed = null;
    const i = this.postponed.indexOf(c);
    if (i >= 0) this.postponed.splice(i, 1);
  }

  /** Arm the deadline timer; `release`: the pause got less restrictive, postponed clients run again. */
  private update(release: boolean): void {
    const server = this.server!;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    server.store.frozen = this.type !== PauseType.OFF;
    if (this.type !== PauseType.OFF) {
      this.timer = setTimeout(() => this.unpause(), Math.max(0, this.end - Date.now() + 1));
      this.timer.unref();
    }
    if (!release || this.postponed.length === 0) return;
    // Less restrictive now: everyone postponed runs again (and may be postponed again).
    const released = this.postponed.splice(0);
    setImmediate(() => {
      for (const c of released) if (!c.closed && c.postponed !== null) server.resumePostponed(c);
    });
  }
}
