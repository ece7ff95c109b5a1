/**
 * What the reduced watches (nodes, NodePools) share: an index kept from one ResilientInformer, its
 * lifecycle, and a "changed" subscription telling consumers which nodeclasses an event touched.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ResilientInformer } from "./informer.js";

export abstract class InformerIndex<T extends KubernetesObject, U extends KubernetesObject, Args extends unknown[]> {
  protected abstract readonly informer: ResilientInformer<T, U>;
  private readonly listeners: Array<(...args: Args) => void> = [];

  /** Subscribe to changes of the index (what the arguments name: see the subclass). */
  on(event: "changed", fn: (...args: Args) => void): void {
    if (event === "changed") this.listeners.push(fn);
  }

  start(): void {
    this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }

  waitForSync(): Promise<void> {
    return this.informer.waitForSync();
  }

  protected notify(...args: Args): void {
    for (const fn of [...this.listeners]) fn(...args);
  }
}
