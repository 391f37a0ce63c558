/** Names in a record: which ones a store cannot keep, and which repeat within one object. */

const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** An object's names so far: a short list (most objects), a Set past it. */
export class Names {
  private list: string[] | undefined = []
  private set: Set<string> | undefined

  /** False when `name` was there already. */
  add(name: string): boolean {
    if (this.list) {
      if (this.list.includes(name)) return false
      this.list.push(name)
      if (this.list.length > 16) {
        this.set = new Set(this.list)
        this.list = undefined
      }
      return true
    }
    if (this.set!.has(name)) return false
    this.set!.add(name)
    return true
  }
}

export function nameProblem(key: string): string | undefined {
  // Code that copies a document with Object.assign or `obj[key] =` would set its prototype.
  if (key === '__proto__') return 'JavaScript takes it for the prototype'
  if (key.charCodeAt(0) === 36) return 'no leading $'
  if (key.includes('.')) return 'no dots'
  if (key.includes('\0')) return 'no NUL'
  if (LONE_SURROGATE.test(key)) return 'not valid Unicode'
  return undefined
}
