/** Small helpers for the image builders' child processes and their output. */
import { execFile } from 'node:child_process'
import { createInterface } from 'node:readline'

/** Runs a command to completion; its stdout, or an error carrying its stderr. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    )
  })
}

/** Calls `onLine` for each line of `stream`, as the lines arrive. */
export function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => unknown): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine)
}
