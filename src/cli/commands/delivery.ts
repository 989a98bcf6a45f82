import { Command, Option } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../core/ports.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { table } from '../output.js';
import { example } from '../contract.js';

export function deliveryCommand(): Command {
  const delivery = new Command('delivery').description('chat and hook deliveries (the outbox), for admins and auditors');
  example(delivery.command('list').description('deliveries newest first, with attempts and the last error; --status failed: those given up for good')
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices([...DELIVERY_STATUSES]))
    .option('--limit <n>', 'at most this many (1–1000)', '100'), 'elevate delivery list --status failed')
    .action(async (options: { status?: DeliveryStatus; limit: string }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('--limit must be a whole number from 1 to 1000', { field: 'limit' });
      await withEngine(async (engine) => {
        const deliveries = await engine.elevate.listDeliveries(await actorOf(engine, globals(command)), { status: options.status, limit });
        print(globals(command), deliveries, () => table(['ID', 'STATUS', 'PLATFORM', 'CHANNEL', 'KIND', 'ATTEMPTS', 'LAST ERROR', 'CREATED'],
          deliveries.map((d) => [d.id, d.status, d.platform, d.channel, d.kind, d.attempts, d.lastError, d.createdAt])));
      });
    });
  return delivery;
}
