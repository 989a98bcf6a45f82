import { loadConfig } from '../../config.js';
import { fail, ok, type Check } from '../doctor.js';

/** The configuration loads: every variable (and the ELEVATE_CONFIG file) valid. Later checks need it. */
export const configurationCheck: Check = {
  name: 'configuration',
  async run(ctx) {
    try {
      ctx.config = loadConfig(ctx.env);
    } catch (error) {
      return [fail('configuration', (error as Error).message, 'correct the setting named (README, "Configuration"; config/elevate.example.json shows every one)')];
    }
    const platforms = [ctx.config.SLACK_BOT_TOKEN ? 'Slack' : '', ctx.config.TEAMS_APP_ID ? 'Teams' : ''].filter(Boolean);
    const source = ctx.env.ELEVATE_CONFIG ? `the environment and ${ctx.env.ELEVATE_CONFIG}` : 'the environment';
    return [ok('configuration', `valid (from ${source}); chat platforms: ${platforms.join(', ') || 'none yet'}`)];
  },
};
