/**
 * Compile-time checks: `npm test` type-checks this file, and each `@ts-expect-error` fails the
 * build if the misuse below it ever starts to compile. Nothing here runs.
 */
import { Cr, type Document, type Task } from '../src/index'

export async function typeChecks(): Promise<void> {
  // @ts-expect-error a schema needs <namespace>/<name>@<major>.<minor>
  new Cr('levrt/busybox', 'issues')
  // @ts-expect-error file targets are absolute paths
  new Cr('levrt/busybox', { files: { 'etc/config.json': 'x' } })
  // @ts-expect-error env entries are NAME=value
  new Cr('levrt/busybox', { env: ['PATH'] })
  // @ts-expect-error ports are numbers
  new Cr('levrt/busybox', { ports: ['80'] })
  // @ts-expect-error services are Cr objects
  new Cr('levrt/busybox', { services: { redis: 'redis:7' } })
  // @ts-expect-error cmd is a list of arguments
  new Cr('levrt/busybox', { cmd: 'echo hi' })
  // @ts-expect-error unknown option
  new Cr('levrt/busybox', { command: ['x'] })

  const doc: Document = await new Cr('levrt/busybox')
  const task = await new Cr('levrt/busybox').start()
  await task.signal('SIGTERM')
  const again: Document = await task
  await again.get({}, { target: 1 })
  // @ts-expect-error signals are names
  await task.signal('INT')
  // @ts-expect-error get() takes a filter object
  await doc.get('target')
  const running: Promise<Task> = new Cr('levrt/busybox').start()
  void running
}
