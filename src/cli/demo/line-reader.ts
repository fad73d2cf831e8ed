/** Lines typed (or piped) into the interactive demo, one at a time, for both its prompt and its approval questions. */
import { createInterface, type Interface } from 'node:readline';

export class LineReader {
  private readonly rl: Interface;
  private readonly queued: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private ended = false;
  private readonly terminal: boolean;

  constructor(
    input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {
    this.terminal = input.isTTY === true && output.isTTY === true;
    this.rl = createInterface({ input, ...(this.terminal ? { output, terminal: true } : { terminal: false }) });
    this.rl.on('line', (line) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(line);
      else this.queued.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(null);
    });
  }

  /**
   * Shows `prompt` and resolves with the next line, or null at the end of the input. Piped input is echoed after the
   * prompt, so the output reads like the session it was.
   */
  next(prompt: string): Promise<string | null> {
    if (this.terminal) {
      this.rl.setPrompt(prompt);
      this.rl.prompt();
    }
    const echo = (line: string | null): string | null => {
      if (!this.terminal) this.output.write(`${prompt}${line ?? ''}\n`);
      return line;
    };
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(echo(line));
    if (this.ended) return Promise.resolve(echo(null));
    return new Promise((done) => {
      this.waiting = (l) => done(echo(l));
    });
  }

  close(): void {
    this.rl.close();
  }
}
