// A long-running service: registers 'greeter' in ~/.multifrost/services.json (or $MULTIFROST_HOME)
// and serves any number of parents until SIGINT/SIGTERM, then unregisters.
import { ChildWorker } from 'multifrost';

export class Greeter extends ChildWorker {
  private count = 0;

  greet(name: string): string {
    this.count++;
    console.log(`greeting #${this.count} for ${name}`);
    return `Hello, ${name}! (greeting #${this.count})`;
  }

  stats(): { greeted: number; pid: number } {
    return { greeted: this.count, pid: process.pid };
  }
}

new Greeter({ serviceId: process.env.SERVICE_ID ?? 'greeter' }).run();
