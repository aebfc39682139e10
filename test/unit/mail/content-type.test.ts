import assert from 'node:assert/strict';
import { extensionFor, guessContentType } from '../../../src/mail/content-type';

describe('guessContentType', () => {
  it('knows the common office, image, archive and text types', () => {
    const expected: Record<string, string> = {
      'notes.txt': 'text/plain',
      'page.HTML': 'text/html',
      'data.csv': 'text/csv',
      'data.json': 'application/json',
      'feed.xml': 'application/xml',
      'report.pdf': 'application/pdf',
      'logo.png': 'image/png',
      'photo.JPG': 'image/jpeg',
      'photo.jpeg': 'image/jpeg',
      'anim.gif': 'image/gif',
      'icon.svg': 'image/svg+xml',
      'pic.webp': 'image/webp',
      'bundle.zip': 'application/zip',
      'backup.tar.gz': 'application/gzip',
      'letter.doc': 'application/msword',
      'letter.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'sheet.xls': 'application/vnd.ms-excel',
      'sheet.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'deck.ppt': 'application/vnd.ms-powerpoint',
      'deck.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'forwarded.eml': 'message/rfc822',
      'invite.ics': 'text/calendar',
      'song.mp3': 'audio/mpeg',
      'clip.mp4': 'video/mp4',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(guessContentType(name), type, name);
  });

  it('falls back to application/octet-stream', () => {
    for (const name of ['file.unknownext', 'no-extension', '', '.', 'trailing.']) {
      assert.equal(guessContentType(name), 'application/octet-stream', name);
    }
  });
});

describe('extensionFor', () => {
  it('finds an extension for a known type, ignoring parameters and case', () => {
    assert.equal(extensionFor('application/PDF; name=x'), 'pdf');
    assert.equal(extensionFor('text/plain'), 'txt');
    assert.equal(extensionFor('application/x-unknown'), '');
  });
});
