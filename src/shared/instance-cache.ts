/**
 * One value per provider instance (its provider, its breaker), built on first use and kept for the life
 * of the process or host that owns the cache.
 */
export class InstanceCache<T> {
  private readonly built = new Map<string, T>();

  constructor(private readonly build: (instance: string) => T) {}

  get(instance: string): T {
    let value = this.built.get(instance);
    if (value === undefined) {
      value = this.build(instance);
      this.built.set(instance, value);
    }
    return value;
  }

  /** The values built so far. */
  values(): IterableIterator<T> {
    return this.built.values();
  }
}
