// What the fleet refuses before anything runs: a bad inventory, option or checkout (exit 2, nothing changed).
export class FleetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetInputError';
  }
}
