/** The editors of this package's nodes, by node type. */
import { NodeEditor } from './dialog';
import { configEditor } from './o365-config';
import { mailActionEditor } from './o365-mail-action';
import { mailInEditor } from './o365-mail-in';
import { mailOutEditor } from './o365-mail-out';

export const EDITORS: readonly NodeEditor[] = [configEditor, mailInEditor, mailOutEditor, mailActionEditor];
