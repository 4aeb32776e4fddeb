#!/usr/bin/python3
"""make_tar_corpus.py — seeds for fuzz/fuzz_tar.c in fuzz/corpus/tar/ (first byte = reader:
0 tar, 1 CSV list, 2 JSONL list; the rest is the file). Deterministic (mtime 0, fixed data)."""
import gzip
import io
import os
import tarfile

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'tar')
os.makedirs(out, exist_ok=True)


def tar(members, fmt=tarfile.USTAR_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            tf.addfile(ti, io.BytesIO(data))
    return b.getvalue()


png = bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de'
                    '0000000c4944415408d763f8ffff3f0005fe02fe0def46b80000000049454e44ae426082')
wds = tar([('000.jpg', b'\xff\xd8\xff\xe0junk'), ('000.txt', b'a man'), ('000.json', b'{"url":"u","caption":"c"}'),
           ('000.cls', b'1'), ('001.png', png), ('001.txt', b'people'), ('000.txt', b'dup'),
           ('dir/002.face.png', png), ('dir/002.png', png), ('002.png', png), ('002.png', png)])
seeds = {
    'wds.tar': b'\0' + wds,
    'wds_gnu.tar': b'\0' + tar([('k' * 150 + '.txt', b'long name'), ('k.jpg', b'')], tarfile.GNU_FORMAT),
    'wds_pax.tar': b'\0' + tar([('a.txt', 'caf\u00e9'.encode()), ('a.png', png)], tarfile.PAX_FORMAT),
    'wds.tar.gz': b'\0' + gzip.compress(wds, mtime=0),
    'truncated.tar': b'\0' + wds[:1536 + 100],
    'list.csv': b'\1' + b'key,image,caption\nk0,a.png,"a ""quoted"" man"\nk1,b.jpg,\n\n"k2",c.png,"multi\nline"\n',
    'list.tsv.csv': b'\1' + b'path,text\r\nx.png,hello\r\n',
    'list.jsonl': b'\2' + b'{"path":"a.png","caption":"a woman","key":"k/1.x"}\n\n{"image":"b.jpg"}\nnot json\n{"file":7}\n',
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print(f'{len(seeds)} seeds in {out}')
